package engagement

import (
	"testing"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
)

func TestPathProgress(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                                             string
		milestonesDone, milestones, modulesDone, modules int
		want                                             int
	}{
		{"modules alone, none done", 0, 0, 0, 4, 0},
		{"modules alone, one of four", 0, 0, 1, 4, 25},
		{"modules alone, two of three rounds down", 0, 0, 2, 3, 66},
		{"modules alone, all", 0, 0, 3, 3, 100},
		{"half each: one module of two", 0, 2, 1, 2, 25},
		{"half each: a milestone and a module", 1, 2, 1, 2, 50},
		{"half each: all modules, no milestone", 0, 2, 2, 2, 50},
		{"half each: all but one milestone stays below 100", 2, 3, 7, 7, 83},
		{"half each: everything", 3, 3, 7, 7, 100},
		{"an empty path", 0, 0, 0, 0, 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, pathProgress(c.milestonesDone, c.milestones, c.modulesDone, c.modules), c.name)
	}
}

func TestGradeQuiz(t *testing.T) {
	t.Parallel()
	qs := []db.QuizQuestion{
		{Options: []string{"a", "b"}, CorrectOption: 1, Points: 1},
		{Options: []string{"a", "b", "c"}, CorrectOption: 0, Points: 3},
	}
	cases := []struct {
		name    string
		answers []int32
		want    int
		code    connect.Code
	}{
		{"all right", []int32{1, 0}, 100, 0},
		{"weighted: the heavy one right", []int32{0, 0}, 75, 0},
		{"weighted: the light one right", []int32{1, 2}, 25, 0},
		{"all wrong", []int32{0, 1}, 0, 0},
		{"too few answers", []int32{1}, 0, connect.CodeInvalidArgument},
		{"an option the question lacks", []int32{2, 0}, 0, connect.CodeInvalidArgument},
	}
	for _, c := range cases {
		got, err := gradeQuiz(qs, c.answers)
		if c.code != 0 {
			require.Error(t, err, c.name)
			assert.Equal(t, c.code, connect.CodeOf(err), c.name)
			continue
		}
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
}
