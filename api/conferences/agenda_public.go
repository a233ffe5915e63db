package conferences

// The public agenda: GetPublicAgenda and ListPublicSpeakers need no login
// and show published, live and completed conferences only, in their time
// zone. Each answer carries ETag "<agenda_version>"; a GET whose
// If-None-Match holds it is answered 304 without a body, so browsers and
// CDNs revalidate a whole agenda for the price of one version read.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
)

// publicCacheControl makes caches revalidate every time: the agenda may
// change at any moment, and a 304 costs little.
const publicCacheControl = "public, no-cache"

// GetPublicAgenda returns a published conference's scheduled items; no
// login.
func (s *agendaServer) GetPublicAgenda(ctx context.Context, req *connect.Request[conferencesv1.GetPublicAgendaRequest]) (*connect.Response[conferencesv1.GetPublicAgendaResponse], error) {
	m := req.Msg
	out := &conferencesv1.GetPublicAgendaResponse{}
	res := connect.NewResponse(out)
	err := s.publicRead(ctx, m.GetSlug(), func(ctx context.Context, tx bun.Tx, c *db.Conference) error {
		out.AgendaVersion = c.AgendaVersion
		setETag(res.Header(), c.AgendaVersion)
		if notModified(req.HTTPMethod(), req.Header(), c.AgendaVersion) {
			return nil
		}
		loc := conferenceZone(c)
		f := db.AgendaFilter{ConferenceID: c.ID, Track: m.GetTrack(), Room: m.GetRoom()}
		if m.GetDay() != "" {
			day, err := time.ParseInLocation(time.DateOnly, m.GetDay(), loc)
			if err != nil {
				return rpc.InvalidField("day", fmt.Sprintf("%q is not a date", m.GetDay()))
			}
			f.From, f.To = day, day.AddDate(0, 0, 1)
		}
		items, speakers, err := scheduledAgenda(ctx, tx, f)
		if err != nil {
			return err
		}
		// Attendance is left out: it changes without the agenda version.
		out.Conference = conferenceToProto(c, db.ConferenceAttendance{})
		for i := range items {
			out.Items = append(out.Items, agendaItemToProto(&items[i], speakers, loc))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ListPublicSpeakers returns a published conference's speakers; no login.
func (s *agendaServer) ListPublicSpeakers(ctx context.Context, req *connect.Request[conferencesv1.ListPublicSpeakersRequest]) (*connect.Response[conferencesv1.ListPublicSpeakersResponse], error) {
	out := &conferencesv1.ListPublicSpeakersResponse{}
	res := connect.NewResponse(out)
	err := s.publicRead(ctx, req.Msg.GetSlug(), func(ctx context.Context, tx bun.Tx, c *db.Conference) error {
		out.AgendaVersion = c.AgendaVersion
		setETag(res.Header(), c.AgendaVersion)
		if notModified(req.HTTPMethod(), req.Header(), c.AgendaVersion) {
			return nil
		}
		rows, err := db.PublicSpeakersOf(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		for i := range rows {
			sp := lineupToProto(&rows[i])
			// Which account a speaker is stays with the organization.
			sp.Speaker.UserId = ""
			out.Speakers = append(out.Speakers, sp)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// publicRead runs read on the public conference with the slug, in one
// read-only snapshot so the version and the rows shown agree; any other
// conference is NotFound.
func (s *agendaServer) publicRead(ctx context.Context, slug string, read func(context.Context, bun.Tx, *db.Conference) error) error {
	return s.DB.RunInTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
		c, err := publicConference(ctx, tx, slug)
		if err != nil {
			return err
		}
		return read(ctx, tx, c)
	})
}

// publicConference loads a conference the public agenda shows by slug.
func publicConference(ctx context.Context, idb bun.IDB, slug string) (*db.Conference, error) {
	c, err := db.ConferenceBySlug(ctx, idb, slug)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !enums.ConferencePublic(c.Status)) {
		return nil, errConferenceNotFound
	}
	return c, err
}

// scheduledAgenda lists the items f picks with their speakers.
func scheduledAgenda(ctx context.Context, idb bun.IDB, f db.AgendaFilter) ([]db.AgendaItem, []db.AgendaSpeakerRow, error) {
	items, err := db.ScheduledAgenda(ctx, idb, f)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]uuid.UUID, 0, len(items))
	for i := range items {
		ids = append(ids, items[i].ID)
	}
	speakers, err := db.AgendaSpeakersOf(ctx, idb, ids)
	return items, speakers, err
}

// etag is the public agenda's entity tag for version.
func etag(version int64) string { return fmt.Sprintf(`"%d"`, version) }

// setETag marks an answer of the public agenda at version.
func setETag(h http.Header, version int64) {
	h.Set("ETag", etag(version))
	h.Set("Cache-Control", publicCacheControl)
}

// notModified reports a GET whose If-None-Match names version: its
// answer's body is left empty and withNotModified answers 304.
func notModified(method string, h http.Header, version int64) bool {
	return method == http.MethodGet && etagMatches(h.Get("If-None-Match"), etag(version))
}

// etagMatches reports whether an If-None-Match header names tag (weak
// tags match too, as RFC 9110 has GET compare them).
func etagMatches(ifNoneMatch, tag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == "*" || candidate == tag {
			return true
		}
	}
	return false
}

// withNotModified answers 304 Not Modified, without a body, to a GET of
// one of procedures whose If-None-Match matches the ETag the handler set.
// Connect cannot answer 304 itself, so the answer is held until the
// handler is done and then either sent as is or replaced.
func withNotModified(next http.Handler, procedures ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.Header.Get("If-None-Match") == "" || !slices.Contains(procedures, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		held := &heldResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(held, r)
		tag := held.header.Get("ETag")
		for k, v := range held.header {
			w.Header()[k] = v
		}
		if held.status == http.StatusOK && tag != "" && etagMatches(r.Header.Get("If-None-Match"), tag) {
			for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
				w.Header().Del(k)
			}
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.WriteHeader(held.status)
		// A write error means the client went away; nothing is left to tell it.
		_, _ = w.Write(held.body.Bytes())
	})
}

// heldResponse keeps a handler's answer for withNotModified.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if !h.wrote {
		h.status, h.wrote = status, true
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(p)
}
