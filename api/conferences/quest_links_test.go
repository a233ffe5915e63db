package conferences_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/api/conferences"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/testenv"
)

const publicURL = "https://api.convene.test/"

var linkKey = conferences.LinkKey("convene-test-secret")

// linkServer serves the conferences domain's plain routes over d.
func linkServer(d *db.DB) http.Handler { return linkServerWithKey(d, linkKey) }

func linkServerWithKey(d *db.DB, key []byte) http.Handler {
	mux := http.NewServeMux()
	dom := conferences.Domain(conferences.Deps{DB: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		PublicURL: publicURL, LinkKey: key, Now: time.Now})
	for _, r := range dom.Routes {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// linkFixture is a member of an organization and a published quest's
// url_visit task, with a draft quest's and a quiz's tasks beside it.
type linkFixture struct {
	orgID, userID           uuid.UUID
	visit, draftVisit, quiz uuid.UUID
}

func newLinkFixture(t *testing.T, d *db.DB) linkFixture {
	t.Helper()
	ctx := context.Background()
	user, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1415%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	org := &db.Organization{ID: db.NewID(), Name: "Acme", Slug: "acme-" + db.NewID().String()[24:], Status: "active",
		Settings: map[string]any{}}
	require.NoError(t, db.InsertOrganization(ctx, d, org))
	require.NoError(t, db.InsertMember(ctx, d, &db.Member{ID: db.NewID(), OrganizationID: org.ID, UserID: user.ID, Role: db.RoleMember}))
	task := func(status, kind, config string) uuid.UUID {
		now := time.Now().UTC()
		q := &db.Quest{ID: db.NewID(), OrganizationID: org.ID, Title: "Booths", Points: 10, Recurrence: enums.RecurrenceNone,
			StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), ReviewSLAHours: 24, Status: status}
		_, err := d.NewInsert().Model(q).Exec(ctx)
		require.NoError(t, err)
		tk := &db.QuestTask{ID: db.NewID(), OrganizationID: org.ID, QuestID: q.ID, Kind: kind, Title: "Visit",
			Required: true, Config: json.RawMessage(config)}
		_, err = d.NewInsert().Model(tk).Exec(ctx)
		require.NoError(t, err)
		return tk.ID
	}
	return linkFixture{orgID: org.ID, userID: user.ID,
		visit:      task(enums.QuestPublished, enums.TaskKindURLVisit, `{"url":"https://sponsor.example/booth?ref=convene"}`),
		draftVisit: task(enums.QuestDraft, enums.TaskKindURLVisit, `{"url":"https://sponsor.example/booth"}`),
		quiz:       task(enums.QuestPublished, enums.TaskKindQuiz, `{"questions":[{"prompt":"Q","options":["a","b"],"answer":0}]}`),
	}
}

func follow(h http.Handler, method, link string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, strings.TrimPrefix(link, strings.TrimRight(publicURL, "/")), nil))
	return rec
}

// TestTrackedLink_RecordsTheVisitAndRedirects: the member's own link
// records one visit (however often followed) and redirects to the task's
// page; a HEAD (a link preview) records nothing; a tampered token, a
// token in another member's name, a validly signed token of someone
// outside the organization, a draft quest's task or a quiz task is 404
// and records nothing.
func TestTrackedLink_RecordsTheVisitAndRedirects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := testenv.NewDB(t)
	f := newLinkFixture(t, d)
	h := linkServer(d)
	link := conferences.TrackedLink(publicURL, linkKey, f.visit.String(), f.userID.String())
	require.True(t, strings.HasPrefix(link, "https://api.convene.test/quests/visit/"+f.visit.String()+"."+f.userID.String()+"."), link)

	rec := follow(h, http.MethodHead, link)
	assert.Equal(t, http.StatusFound, rec.Code)
	visited, err := db.HasVisited(ctx, d, f.visit, f.userID)
	require.NoError(t, err)
	assert.False(t, visited, "a HEAD is not a visit")

	for range 2 {
		rec = follow(h, http.MethodGet, link)
		assert.Equal(t, http.StatusFound, rec.Code)
		assert.Equal(t, "https://sponsor.example/booth?ref=convene", rec.Header().Get("Location"))
		assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"))
	}
	visited, err = db.HasVisited(ctx, d, f.visit, f.userID)
	require.NoError(t, err)
	assert.True(t, visited)

	outsider, _, err := db.CreateUserWithPhone(ctx, d, fmt.Sprintf("+1416%07d", time.Now().UnixNano()%10_000_000))
	require.NoError(t, err)
	otherUser := db.NewID().String()
	tampered := link[:len(link)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(link, "0")]
	for name, bad := range map[string]string{
		"tampered MAC":          tampered,
		"another member's name": strings.Replace(link, f.userID.String(), otherUser, 1),
		"another key":           conferences.TrackedLink(publicURL, []byte("other key"), f.visit.String(), f.userID.String()),
		"draft quest":           conferences.TrackedLink(publicURL, linkKey, f.draftVisit.String(), f.userID.String()),
		"quiz task":             conferences.TrackedLink(publicURL, linkKey, f.quiz.String(), f.userID.String()),
		"not a token":           publicURL + "quests/visit/nothing",
		"not a member":          conferences.TrackedLink(publicURL, linkKey, f.visit.String(), outsider.ID.String()),
	} {
		rec := follow(h, http.MethodGet, bad)
		assert.Equal(t, http.StatusNotFound, rec.Code, name)
	}
	rec = follow(linkServerWithKey(d, nil), http.MethodGet, conferences.TrackedLink(publicURL, nil, f.visit.String(), f.userID.String()))
	assert.Equal(t, http.StatusNotFound, rec.Code, "no key wired: no link is valid, not even one signed with the empty key")

	n, err := d.NewSelect().Model((*db.QuestLinkVisit)(nil)).Where("organization_id = ?", f.orgID).Count(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "only the member's own visit is recorded, once")
}
