package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// tokyo is the conferences' time zone in these tests.
var tokyo = mustLoadLocation("Asia/Tokyo")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// tokyoAt is 2027-03-<day> hh:mm in Tokyo.
func tokyoAt(day, hh, mm int) time.Time { return time.Date(2027, 3, day, hh, mm, 0, 0, tokyo) }

// agendaItem is a talk in room from start for length.
func agendaItem(title, room string, start time.Time, length time.Duration, speakers ...string) *conferencesv1.AgendaItemInput {
	in := &conferencesv1.AgendaItemInput{Kind: conferencesv1.AgendaItemKind_AGENDA_ITEM_KIND_TALK, Title: title, Room: room, Track: "Backend",
		StartsAt: timestamppb.New(start), EndsAt: timestamppb.New(start.Add(length))}
	for _, id := range speakers {
		in.Speakers = append(in.Speakers, &conferencesv1.AgendaSpeakerInput{SpeakerId: id})
	}
	return in
}

func (w *confWorld) addItem(conferenceID string, in *conferencesv1.AgendaItemInput) (*conferencesv1.CreateAgendaItemResponse, error) {
	resp, err := w.agenda.CreateAgendaItem(context.Background(), testenv.As(w.owner,
		&conferencesv1.CreateAgendaItemRequest{ConferenceId: conferenceID, Item: in}))
	if err != nil {
		return nil, err
	}
	return resp.Msg, nil
}

func (w *confWorld) speaker(t *testing.T, name string) string {
	t.Helper()
	resp, err := w.speakers.CreateSpeaker(context.Background(), testenv.As(w.owner, &conferencesv1.CreateSpeakerRequest{OrganizationId: w.org,
		Speaker: &conferencesv1.SpeakerInput{Name: name}}))
	require.NoError(t, err)
	return resp.Msg.GetSpeaker().GetId()
}

// publicGet sends GetPublicAgenda as a Connect GET without a token, with
// If-None-Match when given, and returns the raw answer.
func publicGet(t *testing.T, a *testenv.API, req *conferencesv1.GetPublicAgendaRequest, ifNoneMatch string) (*http.Response, []byte) {
	t.Helper()
	msg, err := json.Marshal(map[string]string{"slug": req.GetSlug(), "day": req.GetDay()})
	require.NoError(t, err)
	u := a.URL + conferencesv1connect.AgendaServiceGetPublicAgendaProcedure + "?connect=v1&encoding=json&message=" + url.QueryEscape(string(msg))
	return rawGet(t, a, u, ifNoneMatch)
}

func rawGet(t *testing.T, a *testenv.API, u, ifNoneMatch string) (*http.Response, []byte) {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, u, nil)
	require.NoError(t, err)
	if ifNoneMatch != "" {
		r.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := a.HTTP.Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func TestPublicAgenda_WithoutLoginInTheConferencesZoneWithETag(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	draft := w.create(t, conferenceInput())
	c := w.published(t, conferenceInput())
	_, err := w.addItem(c.GetId(), agendaItem("Opening keynote", "Hall A", tokyoAt(10, 9, 0), time.Hour, w.speaker(t, "Ada")))
	require.NoError(t, err)
	_, err = w.addItem(c.GetId(), agendaItem("Day two", "Hall A", tokyoAt(11, 9, 0), time.Hour))
	require.NoError(t, err)

	anonymous := conferencesv1connect.NewAgendaServiceClient(w.a.HTTP, w.a.URL, connect.WithHTTPGet())
	_, err = anonymous.GetPublicAgenda(ctx, connect.NewRequest(&conferencesv1.GetPublicAgendaRequest{Slug: draft.GetSlug()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = anonymous.ListPublicSpeakers(ctx, connect.NewRequest(&conferencesv1.ListPublicSpeakersRequest{Slug: draft.GetSlug()}))
	testenv.RequireCode(t, err, connect.CodeNotFound)

	agenda, err := anonymous.GetPublicAgenda(ctx, connect.NewRequest(&conferencesv1.GetPublicAgendaRequest{Slug: c.GetSlug(), Day: "2027-03-10"}))
	require.NoError(t, err)
	require.Len(t, agenda.Msg.GetItems(), 1, "only the items of the day asked for")
	item := agenda.Msg.GetItems()[0]
	assert.Equal(t, "09:00", item.GetLocalStart(), "09:00 in Tokyo, not in UTC")
	assert.Equal(t, "10:00", item.GetLocalEnd())
	assert.Equal(t, "2027-03-10", item.GetLocalDate())
	assert.Equal(t, time.Date(2027, 3, 10, 0, 0, 0, 0, time.UTC), item.GetStartsAt().AsTime())
	require.Len(t, item.GetSpeakers(), 1)
	assert.Equal(t, "Ada", item.GetSpeakers()[0].GetName())
	version := agenda.Msg.GetAgendaVersion()
	assert.Equal(t, `"`+strconv.FormatInt(version, 10)+`"`, agenda.Header().Get("ETag"))
	speakers, err := anonymous.ListPublicSpeakers(ctx, connect.NewRequest(&conferencesv1.ListPublicSpeakersRequest{Slug: c.GetSlug()}))
	require.NoError(t, err)
	require.Len(t, speakers.Msg.GetSpeakers(), 1)
	assert.Empty(t, speakers.Msg.GetSpeakers()[0].GetSpeaker().GetUserId())

	resp, body := publicGet(t, w.a, &conferencesv1.GetPublicAgendaRequest{Slug: c.GetSlug()}, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	etag := resp.Header.Get("ETag")
	require.Equal(t, `"`+strconv.FormatInt(version, 10)+`"`, etag)
	resp, body = publicGet(t, w.a, &conferencesv1.GetPublicAgendaRequest{Slug: c.GetSlug()}, etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, etag, resp.Header.Get("ETag"))

	_, err = w.addItem(c.GetId(), agendaItem("Lunch talk", "Hall B", tokyoAt(10, 12, 0), time.Hour))
	require.NoError(t, err)
	resp, body = publicGet(t, w.a, &conferencesv1.GetPublicAgendaRequest{Slug: c.GetSlug()}, etag)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the agenda changed")
	assert.NotEqual(t, etag, resp.Header.Get("ETag"))
	assert.Equal(t, 3, strings.Count(string(body), `"localStart"`), "the new item is shown: %s", body)
}

func TestAgendaICal_OneEventPerScheduledItem(t *testing.T) {
	w := newConfWorld(t)
	c := w.published(t, conferenceInput())
	keep, err := w.addItem(c.GetId(), agendaItem("Rust, Go; and \\ more", "Hall A", tokyoAt(10, 9, 0), time.Hour))
	require.NoError(t, err)
	_, err = w.addItem(c.GetId(), agendaItem("Panel", "Hall B", tokyoAt(10, 9, 0), time.Hour))
	require.NoError(t, err)
	gone, err := w.addItem(c.GetId(), agendaItem("Cancelled talk", "Hall C", tokyoAt(10, 9, 0), time.Hour))
	require.NoError(t, err)
	_, err = w.agenda.CancelAgendaItem(context.Background(), testenv.As(w.owner, &conferencesv1.CancelAgendaItemRequest{ItemId: gone.GetItem().GetId()}))
	require.NoError(t, err)

	resp, body := rawGet(t, w.a, w.a.URL+"/conferences/"+c.GetSlug()+"/agenda.ics", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/calendar")
	ics := string(body)
	assert.Equal(t, 2, strings.Count(ics, "BEGIN:VEVENT\r\n"))
	assert.Contains(t, ics, "UID:"+keep.GetItem().GetId()+"@convene\r\n")
	assert.Contains(t, ics, "DTSTART:20270310T000000Z\r\nDTEND:20270310T010000Z\r\n")
	assert.Contains(t, ics, `SUMMARY:Rust\, Go\; and \\ more`)
	assert.Contains(t, ics, "LOCATION:Hall A\r\n")
	assert.NotContains(t, ics, "Cancelled talk")

	etag := resp.Header.Get("ETag")
	require.NotEmpty(t, etag)
	resp, body = rawGet(t, w.a, w.a.URL+"/conferences/"+c.GetSlug()+"/agenda.ics", etag)
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body)

	draft := w.create(t, conferenceInput())
	resp, _ = rawGet(t, w.a, w.a.URL+"/conferences/"+draft.GetSlug()+"/agenda.ics", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a draft's agenda is not public")
}

func TestAgenda_DoubleBookingRefusedNamingTheOtherItem(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.published(t, conferenceInput())
	ada := w.speaker(t, "Ada Lovelace")
	held, err := w.addItem(c.GetId(), agendaItem("Compilers", "Hall A", tokyoAt(10, 10, 0), time.Hour, ada))
	require.NoError(t, err)
	cancelled, err := w.addItem(c.GetId(), agendaItem("Cancelled", "Hall C", tokyoAt(10, 14, 0), time.Hour))
	require.NoError(t, err)
	_, err = w.agenda.CancelAgendaItem(ctx, testenv.As(w.owner, &conferencesv1.CancelAgendaItemRequest{ItemId: cancelled.GetItem().GetId()}))
	require.NoError(t, err)

	tests := []struct {
		name  string
		in    *conferencesv1.AgendaItemInput
		code  connect.Code
		names []string
	}{
		{"same room, overlapping", agendaItem("Databases", "Hall A", tokyoAt(10, 10, 30), time.Hour),
			connect.CodeFailedPrecondition, []string{`room "Hall A"`, `"Compilers"`, "10:00-11:00"}},
		{"same speaker in another room at once", agendaItem("Panel", "Hall B", tokyoAt(10, 10, 45), time.Hour, ada),
			connect.CodeFailedPrecondition, []string{`"Ada Lovelace"`, `"Compilers"`}},
		{"back to back in the same room", agendaItem("Right after", "Hall A", tokyoAt(10, 11, 0), time.Hour, ada), 0, nil},
		{"back to back before", agendaItem("Right before", "Hall A", tokyoAt(10, 9, 0), time.Hour), 0, nil},
		{"the room of a cancelled item", agendaItem("Replacement", "Hall C", tokyoAt(10, 14, 0), time.Hour), 0, nil},
		{"the day before the conference in Tokyo", agendaItem("Too early", "Hall D", tokyoAt(9, 23, 0), time.Hour),
			connect.CodeInvalidArgument, []string{"starts_at", "2027-03-10", "Asia/Tokyo"}},
		{"the day after the conference", agendaItem("Too late", "Hall D", tokyoAt(13, 9, 0), time.Hour),
			connect.CodeInvalidArgument, []string{"starts_at"}},
		{"longer than a day", agendaItem("Marathon", "Hall D", tokyoAt(10, 9, 0), 25*time.Hour),
			connect.CodeInvalidArgument, []string{"ends_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := w.count(t, (*db.AgendaItem)(nil), "conference_id = ?", c.GetId())
			_, err := w.addItem(c.GetId(), tt.in)
			if tt.code == 0 {
				require.NoError(t, err)
				return
			}
			testenv.RequireCode(t, err, tt.code)
			for _, name := range tt.names {
				assert.Contains(t, connectMessage(err), name)
			}
			assert.Equal(t, before, w.count(t, (*db.AgendaItem)(nil), "conference_id = ?", c.GetId()), "a refusal writes nothing")
		})
	}

	moved := agendaItem("Compilers", "Hall A", tokyoAt(10, 11, 30), time.Hour, ada)
	_, err = w.agenda.UpdateAgendaItem(ctx, testenv.As(w.owner, &conferencesv1.UpdateAgendaItemRequest{ItemId: held.GetItem().GetId(), Item: moved}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, connectMessage(err), `"Right after"`)
}

func TestAgenda_ConcurrentCreatesInOneRoomOneWins(t *testing.T) {
	w := newConfWorld(t)
	c := w.published(t, conferenceInput())
	const n = 8
	var wg sync.WaitGroup
	codes := make([]connect.Code, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.addItem(c.GetId(), agendaItem("Talk", "Hall A", tokyoAt(10, 10, i), time.Hour))
			codes[i] = connect.CodeOf(err)
			if err == nil {
				codes[i] = codeOK
			}
		}()
	}
	wg.Wait()
	won := 0
	for _, code := range codes {
		if code == codeOK {
			won++
			continue
		}
		assert.Equal(t, connect.CodeFailedPrecondition, code)
	}
	assert.Equal(t, 1, won)
	assert.Equal(t, 1, w.count(t, (*db.AgendaItem)(nil), "conference_id = ? AND status = 'scheduled'", c.GetId()))
}

func TestAgenda_WritesAreTheOrganizationOwnersAndAdmins(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.published(t, conferenceInput())
	item, err := w.addItem(c.GetId(), agendaItem("Talk", "Hall A", tokyoAt(10, 10, 0), time.Hour))
	require.NoError(t, err)
	for _, s := range []testenv.Session{w.member, w.outside} {
		_, err := w.agenda.CreateAgendaItem(ctx, testenv.As(s, &conferencesv1.CreateAgendaItemRequest{ConferenceId: c.GetId(),
			Item: agendaItem("Hijack", "Hall B", tokyoAt(10, 10, 0), time.Hour)}))
		testenv.RequireCode(t, err, connect.CodePermissionDenied)
		_, err = w.agenda.CancelAgendaItem(ctx, testenv.As(s, &conferencesv1.CancelAgendaItemRequest{ItemId: item.GetItem().GetId()}))
		testenv.RequireCode(t, err, connect.CodePermissionDenied)
	}
	outsiderSpeaker, err := w.speakers.CreateSpeaker(ctx, testenv.As(w.outside, &conferencesv1.CreateSpeakerRequest{OrganizationId: w.otherOrg,
		Speaker: &conferencesv1.SpeakerInput{Name: "Eve"}}))
	require.NoError(t, err)
	_, err = w.addItem(c.GetId(), agendaItem("Borrowed", "Hall B", tokyoAt(10, 10, 0), time.Hour, outsiderSpeaker.Msg.GetSpeaker().GetId()))
	testenv.RequireCode(t, err, connect.CodeNotFound)
	assert.Equal(t, 1, w.count(t, (*db.AgendaItem)(nil), "conference_id = ?", c.GetId()))
	assert.Equal(t, 1, w.count(t, (*db.AgendaItem)(nil), "conference_id = ? AND status = 'scheduled'", c.GetId()))
}

func TestConferences_UpdateKeepsScheduledItemsInsideTheDates(t *testing.T) {
	w := newConfWorld(t)
	ctx := context.Background()
	c := w.published(t, conferenceInput())
	_, err := w.addItem(c.GetId(), agendaItem("Closing", "Hall A", tokyoAt(12, 17, 0), time.Hour))
	require.NoError(t, err)

	shorter := conferenceInput()
	shorter.Slug, shorter.EndDate = c.GetSlug(), "2027-03-11"
	_, err = w.conferences.UpdateConference(ctx, testenv.As(w.owner, &conferencesv1.UpdateConferenceRequest{ConferenceId: c.GetId(), Conference: shorter}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	unchanged, err := w.get(w.owner, c.GetId())
	require.NoError(t, err)
	assert.Equal(t, "2027-03-12", unchanged.GetEndDate())

	longer := conferenceInput()
	longer.Slug, longer.Name, longer.EndDate = c.GetSlug(), "Tokyo Dev Days, extended", "2027-03-13"
	updated, err := w.conferences.UpdateConference(ctx, testenv.As(w.owner, &conferencesv1.UpdateConferenceRequest{ConferenceId: c.GetId(), Conference: longer}))
	require.NoError(t, err)
	assert.Equal(t, "2027-03-13", updated.Msg.GetConference().GetEndDate())
	assert.Equal(t, "Tokyo Dev Days, extended", updated.Msg.GetConference().GetName())
	assert.Greater(t, updated.Msg.GetConference().GetAgendaVersion(), unchanged.GetAgendaVersion(), "the public agenda shows the name")
}
