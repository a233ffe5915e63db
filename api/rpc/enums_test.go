package rpc_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/convene/convene/api/rpc"
)

type color int32

const (
	colorUnspecified color = iota
	colorRed
	colorBlue
)

func TestEnum_BothWaysWithDefaults(t *testing.T) {
	t.Parallel()
	colors := rpc.NewEnum(map[color]string{colorRed: "red", colorBlue: "blue"})
	assert.Equal(t, "red", colors.Name(colorRed))
	assert.Empty(t, colors.Name(colorUnspecified))
	assert.Equal(t, "blue", colors.NameOr(colorUnspecified, "blue"), "UNSPECIFIED read as the contract's default")
	assert.Equal(t, []string{"blue", "red"}, colors.Names([]color{colorBlue, colorRed}))
	assert.Equal(t, colorBlue, colors.Value("blue"))
	assert.Equal(t, colorUnspecified, colors.Value("green"))
	assert.Equal(t, colorRed, colors.ValueOr("green", colorRed))
}

func TestNewEnum_RefusesTwoValuesWithOneName(t *testing.T) {
	t.Parallel()
	assert.Panics(t, func() { rpc.NewEnum(map[color]string{colorRed: "red", colorBlue: "red"}) })
}
