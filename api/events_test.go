package api_test

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
	"github.com/convene/convene/workflows"
)

// eventInput is a valid free event starting in two days, changed by mods.
func eventInput(a *testenv.API, mods ...func(*eventsv1.EventInput)) *eventsv1.EventInput {
	start := a.Clock.Now().Add(48 * time.Hour).Truncate(time.Second)
	in := &eventsv1.EventInput{Title: "Sunset Jam!", StartsAt: timestamppb.New(start),
		EndsAt: timestamppb.New(start.Add(2 * time.Hour)), Timezone: "Asia/Kolkata", Capacity: 10}
	for _, m := range mods {
		m(in)
	}
	return in
}

func createEvent(t *testing.T, a *testenv.API, host testenv.Session, in *eventsv1.EventInput) *eventsv1.Event {
	t.Helper()
	resp, err := a.Events.CreateEvent(context.Background(), testenv.As(host, &eventsv1.CreateEventRequest{Event: in}))
	require.NoError(t, err)
	return resp.Msg.GetEvent()
}

func publishEvent(t *testing.T, a *testenv.API, host testenv.Session, in *eventsv1.EventInput) *eventsv1.Event {
	t.Helper()
	ev := createEvent(t, a, host, in)
	resp, err := a.Events.PublishEvent(context.Background(), testenv.As(host, &eventsv1.PublishEventRequest{EventId: ev.GetId()}))
	require.NoError(t, err)
	return resp.Msg.GetEvent()
}

func getEvent(a *testenv.API, s testenv.Session, id string) (*eventsv1.Event, error) {
	resp, err := a.Events.GetEvent(context.Background(), testenv.As(s, &eventsv1.GetEventRequest{EventId: id}))
	if err != nil {
		return nil, err
	}
	return resp.Msg.GetEvent(), nil
}

// listTitles pages through ListEvents with req and returns every title.
func listTitles(t *testing.T, a *testenv.API, s testenv.Session, req *eventsv1.ListEventsRequest) []string {
	t.Helper()
	var titles []string
	for {
		resp, err := a.Events.ListEvents(context.Background(), testenv.As(s, req))
		require.NoError(t, err)
		for _, ev := range resp.Msg.GetEvents() {
			titles = append(titles, ev.GetTitle())
		}
		if resp.Msg.GetNextPageToken() == "" {
			return titles
		}
		req = proto.CloneOf(req)
		req.PageToken = resp.Msg.GetNextPageToken()
	}
}

func eventCount(t *testing.T, a *testenv.API) int64 {
	t.Helper()
	n, err := a.DB.NewSelect().Model((*db.Event)(nil)).Count(context.Background())
	require.NoError(t, err)
	return n
}

func TestEvents_CreateGetPublishList(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, guest := a.Login(t, newPhone()), a.Login(t, newPhone())

	ev := createEvent(t, a, host, eventInput(a))
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_DRAFT, ev.GetStatus())
	assert.Equal(t, host.UserID, ev.GetHostUserId())
	assert.Regexp(t, `^sunset-jam-[0-9a-f]{6}$`, ev.GetSlug())
	assert.EqualValues(t, 15, ev.GetHoldMinutes(), "0 means the default hold")
	assert.EqualValues(t, 1, ev.GetMaxSeatsPerRequest())
	assert.Equal(t, "INR", ev.GetTicketPrice().GetCurrency(), "free events default to INR")
	assert.EqualValues(t, 10, ev.GetSeatsAvailable())
	assert.Equal(t, eventsv1.Visibility_VISIBILITY_PUBLIC, ev.GetVisibility())
	assert.Equal(t, eventsv1.FeeMode_FEE_MODE_ABSORBED, ev.GetFeeMode())
	audits, err := db.AuditLogsFor(ctx, a.DB, "event", ev.GetId())
	require.NoError(t, err)
	require.Len(t, audits, 1)
	assert.Equal(t, "create", audits[0].Action)

	got, err := getEvent(a, host, ev.GetId())
	require.NoError(t, err)
	assert.Equal(t, ev.GetSlug(), got.GetSlug())
	_, err = getEvent(a, guest, ev.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	assert.Empty(t, listTitles(t, a, guest, &eventsv1.ListEventsRequest{}), "drafts are not listed")

	for range 2 { // publishing twice is a no-op
		resp, err := a.Events.PublishEvent(ctx, testenv.As(host, &eventsv1.PublishEventRequest{EventId: ev.GetId()}))
		require.NoError(t, err)
		assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_PUBLISHED, resp.Msg.GetEvent().GetStatus())
	}
	got, err = getEvent(a, guest, ev.GetId())
	require.NoError(t, err)
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_PUBLISHED, got.GetStatus())
	assert.Equal(t, []string{"Sunset Jam!"}, listTitles(t, a, guest, &eventsv1.ListEventsRequest{}))

	private := publishEvent(t, a, host, eventInput(a, func(in *eventsv1.EventInput) {
		in.Title, in.Visibility = "Secret supper", eventsv1.Visibility_VISIBILITY_PRIVATE
	}))
	assert.Equal(t, []string{"Sunset Jam!"}, listTitles(t, a, guest, &eventsv1.ListEventsRequest{}), "private events are not listed")
	_, err = getEvent(a, guest, private.GetId())
	testenv.RequireCode(t, err, connect.CodeNotFound)
	_, err = getEvent(a, host, private.GetId())
	require.NoError(t, err)
}

// TestCreateEvent_ValidationNamesTheFieldAndWritesNothing sends events the
// server must refuse: each error names the field (or has the right code)
// and no event or audit row is written.
func TestCreateEvent_ValidationNamesTheFieldAndWritesNothing(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s, owner := a.Login(t, newPhone()), a.Login(t, newPhone())
	org := createOrg(t, a, owner, "not-mine")
	addAndAccept(t, a, owner, org.GetId(), s, identityv1.OrganizationRole_ORGANIZATION_ROLE_MEMBER)
	create := func(mod func(*eventsv1.EventInput)) func() error {
		return func() error {
			_, err := a.Events.CreateEvent(ctx, testenv.As(s, &eventsv1.CreateEventRequest{Event: eventInput(a, mod)}))
			return err
		}
	}
	now := a.Clock.Now()
	tests := []struct {
		name  string
		call  func() error
		code  connect.Code
		field string
	}{
		{"ends before start", create(func(in *eventsv1.EventInput) { in.EndsAt = timestamppb.New(in.GetStartsAt().AsTime().Add(-time.Hour)) }),
			connect.CodeInvalidArgument, "event.ends_at"},
		{"start in the past", create(func(in *eventsv1.EventInput) {
			in.StartsAt, in.EndsAt = timestamppb.New(now.Add(-time.Hour)), timestamppb.New(now.Add(time.Hour))
		}), connect.CodeInvalidArgument, "event.starts_at"},
		{"paid without price", create(func(in *eventsv1.EventInput) { in.IsPaid, in.Currency = true, "INR" }),
			connect.CodeInvalidArgument, "event.ticket_price_minor"},
		{"free with price", create(func(in *eventsv1.EventInput) { in.TicketPriceMinor = 50000 }),
			connect.CodeInvalidArgument, "event.is_paid"},
		{"paid without currency", create(func(in *eventsv1.EventInput) { in.IsPaid, in.TicketPriceMinor = true, 50000 }),
			connect.CodeInvalidArgument, "event.currency"},
		{"fee above price", create(func(in *eventsv1.EventInput) {
			in.IsPaid, in.TicketPriceMinor, in.Currency, in.PlatformFeeFixedMinor = true, 100, "INR", 5000
		}), connect.CodeInvalidArgument, "event.platform_fee_fixed_minor"},
		{"unknown time zone", create(func(in *eventsv1.EventInput) { in.Timezone = "Mars/Olympus" }),
			connect.CodeInvalidArgument, "event.timezone"},
		{"unknown venue", create(func(in *eventsv1.EventInput) { in.VenueId = proto.String(db.NewID().String()) }),
			connect.CodeInvalidArgument, "event.venue_id"},
		{"unknown interest", create(func(in *eventsv1.EventInput) { in.InterestSlugs = []string{"knitting-in-space"} }),
			connect.CodeInvalidArgument, "event.interest_slugs"},
		{"max seats above capacity", create(func(in *eventsv1.EventInput) { in.Capacity, in.MaxSeatsPerRequest = 2, 5 }),
			connect.CodeInvalidArgument, "event.max_seats_per_request"},
		{"org the caller does not manage", create(func(in *eventsv1.EventInput) { in.OrganizationId = proto.String(org.GetId()) }),
			connect.CodePermissionDenied, ""},
		{"near without radius", func() error {
			_, err := a.Events.ListEvents(ctx, testenv.As(s, &eventsv1.ListEventsRequest{NearLatitude: proto.Float64(12.9), NearLongitude: proto.Float64(77.6)}))
			return err
		}, connect.CodeInvalidArgument, "radius_km"},
		{"near without longitude", func() error {
			_, err := a.Events.ListEvents(ctx, testenv.As(s, &eventsv1.ListEventsRequest{NearLatitude: proto.Float64(12.9), RadiusKm: 5}))
			return err
		}, connect.CodeInvalidArgument, "near_"},
		{"bad page token", func() error {
			_, err := a.Events.ListEvents(ctx, testenv.As(s, &eventsv1.ListEventsRequest{PageToken: "zzz"}))
			return err
		}, connect.CodeInvalidArgument, "page_token"},
	}
	events, audits := eventCount(t, a), auditCount(t, a)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			testenv.RequireCode(t, err, tc.code)
			assert.Contains(t, err.Error(), tc.field)
			if tc.code == connect.CodeInvalidArgument {
				assert.NotEmpty(t, err.(*connect.Error).Details(), "field violations travel as error details")
			}
		})
	}
	assert.Equal(t, events, eventCount(t, a), "refused events are not stored")
	assert.Equal(t, audits, auditCount(t, a), "refused events are not audited")
}

func TestEvents_OnlyTheHostChangesAnEvent(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, other := a.Login(t, newPhone()), a.Login(t, newPhone())
	ev := publishEvent(t, a, host, eventInput(a))
	draft := createEvent(t, a, host, eventInput(a))
	id := ev.GetId()

	calls := map[string]func(s testenv.Session, id string) error{
		"update": func(s testenv.Session, id string) error {
			_, err := a.Events.UpdateEvent(ctx, testenv.As(s, &eventsv1.UpdateEventRequest{EventId: id, Event: eventInput(a)}))
			return err
		},
		"publish": func(s testenv.Session, id string) error {
			_, err := a.Events.PublishEvent(ctx, testenv.As(s, &eventsv1.PublishEventRequest{EventId: id}))
			return err
		},
		"cancel": func(s testenv.Session, id string) error {
			_, err := a.Events.CancelEvent(ctx, testenv.As(s, &eventsv1.CancelEventRequest{EventId: id}))
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			testenv.RequireCode(t, call(other, id), connect.CodePermissionDenied)
			testenv.RequireCode(t, call(other, draft.GetId()), connect.CodeNotFound) // a draft does not leak
			testenv.RequireCode(t, call(host, db.NewID().String()), connect.CodeNotFound)
		})
	}
	got, err := getEvent(a, host, id)
	require.NoError(t, err)
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_PUBLISHED, got.GetStatus(), "refused calls change nothing")

	// Five seats held or confirmed: capacity cannot drop below five.
	_, err = a.DB.NewUpdate().Model((*db.Event)(nil)).Set("seats_taken = 5").Where("id = ?", mustUUID(id)).Exec(ctx)
	require.NoError(t, err)
	update := func(mod func(*eventsv1.EventInput)) (*eventsv1.Event, error) {
		resp, err := a.Events.UpdateEvent(ctx, testenv.As(host, &eventsv1.UpdateEventRequest{EventId: id, Event: eventInput(a, mod)}))
		if err != nil {
			return nil, err
		}
		return resp.Msg.GetEvent(), nil
	}
	_, err = update(func(in *eventsv1.EventInput) { in.Capacity = 4 })
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "capacity")

	updated, err := update(func(in *eventsv1.EventInput) {
		in.Title, in.Capacity, in.IsPaid, in.TicketPriceMinor, in.Currency = "Sunset Jam (paid)", 5, true, 49900, "INR"
	})
	require.NoError(t, err)
	assert.EqualValues(t, 0, updated.GetSeatsAvailable())
	assert.Equal(t, int64(49900), updated.GetTicketPrice().GetAmountMinor())
	assert.Equal(t, ev.GetSlug(), updated.GetSlug(), "the slug survives a new title")
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_PUBLISHED, updated.GetStatus())
	audits, err := db.AuditLogsFor(ctx, a.DB, "event", id)
	require.NoError(t, err)
	assert.Equal(t, "update", audits[len(audits)-1].Action)

	_, err = a.Events.CancelEvent(ctx, testenv.As(host, &eventsv1.CancelEventRequest{EventId: id}))
	require.NoError(t, err)
	_, err = update(func(in *eventsv1.EventInput) {})
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	testenv.RequireCode(t, calls["publish"](host, id), connect.CodeFailedPrecondition)
}

func TestListEvents_Filters(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	require.NoError(t, db.SeedDemo(ctx, a.DB))
	host, guest := a.Login(t, newPhone()), a.Login(t, newPhone())
	now := a.Clock.Now()
	at := func(days int) func(*eventsv1.EventInput) {
		return func(in *eventsv1.EventInput) {
			in.StartsAt = timestamppb.New(now.Add(time.Duration(days) * 24 * time.Hour))
			in.EndsAt = timestamppb.New(in.GetStartsAt().AsTime().Add(time.Hour))
		}
	}
	// Around Bengaluru (12.9716, 77.5946): 0.045° of latitude is ~5 km, 4.5° ~500 km.
	place := func(lat float64) func(*eventsv1.EventInput) {
		return func(in *eventsv1.EventInput) { in.Latitude, in.Longitude = proto.Float64(lat), proto.Float64(77.5946) }
	}
	for _, in := range []*eventsv1.EventInput{
		eventInput(a, at(2), place(12.9716+0.045), func(in *eventsv1.EventInput) {
			in.Title, in.InterestSlugs = "Jazz night", []string{"music"}
		}),
		eventInput(a, at(5), place(12.9716+4.5), func(in *eventsv1.EventInput) {
			in.Title, in.Description, in.InterestSlugs = "Code and coffee", "A relaxed hackathon", []string{"tech", "food-drink"}
			in.IsPaid, in.TicketPriceMinor, in.Currency = true, 29900, "INR"
		}),
		eventInput(a, at(10), func(in *eventsv1.EventInput) { in.Title = "Sunday hike"; in.InterestSlugs = []string{"outdoors"} }),
	} {
		publishEvent(t, a, host, in)
	}
	tests := []struct {
		name string
		req  *eventsv1.ListEventsRequest
		want []string
	}{
		{"everything, by start", &eventsv1.ListEventsRequest{}, []string{"Jazz night", "Code and coffee", "Sunday hike"}},
		{"by interest", &eventsv1.ListEventsRequest{InterestSlugs: []string{"tech", "outdoors"}}, []string{"Code and coffee", "Sunday hike"}},
		{"paid only", &eventsv1.ListEventsRequest{IsPaid: proto.Bool(true)}, []string{"Code and coffee"}},
		{"free only", &eventsv1.ListEventsRequest{IsPaid: proto.Bool(false)}, []string{"Jazz night", "Sunday hike"}},
		{"text in description", &eventsv1.ListEventsRequest{Query: "HACKATHON"}, []string{"Code and coffee"}},
		{"date range", &eventsv1.ListEventsRequest{StartsAfter: timestamppb.New(now.Add(3 * 24 * time.Hour)),
			StartsBefore: timestamppb.New(now.Add(7 * 24 * time.Hour))}, []string{"Code and coffee"}},
		{"within 50 km", &eventsv1.ListEventsRequest{NearLatitude: proto.Float64(12.9716), NearLongitude: proto.Float64(77.5946), RadiusKm: 50},
			[]string{"Jazz night"}},
		{"within 1000 km", &eventsv1.ListEventsRequest{NearLatitude: proto.Float64(12.9716), NearLongitude: proto.Float64(77.5946), RadiusKm: 1000},
			[]string{"Jazz night", "Code and coffee"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, listTitles(t, a, guest, tc.req))
		})
	}
	resp, err := a.Events.ListEvents(ctx, testenv.As(guest, &eventsv1.ListEventsRequest{InterestSlugs: []string{"food-drink"}}))
	require.NoError(t, err)
	require.Len(t, resp.Msg.GetEvents(), 1)
	assert.Equal(t, []string{"food-drink", "tech"}, resp.Msg.GetEvents()[0].GetInterestSlugs())
}

func TestListEvents_PagesVisitEveryEventOnceInOrder(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.Login(t, newPhone())
	var want []string
	for i := range 5 {
		ev := publishEvent(t, a, host, eventInput(a, func(in *eventsv1.EventInput) {
			start := a.Clock.Now().Add(time.Duration(5-i) * time.Hour) // created out of start order
			in.StartsAt, in.EndsAt = timestamppb.New(start), timestamppb.New(start.Add(time.Hour))
		}))
		want = append([]string{ev.GetId()}, want...)
	}
	var got []string
	token, pages := "", 0
	for {
		resp, err := a.Events.ListEvents(ctx, testenv.As(host, &eventsv1.ListEventsRequest{PageSize: 2, PageToken: token}))
		require.NoError(t, err)
		require.LessOrEqual(t, len(resp.Msg.GetEvents()), 2)
		for _, ev := range resp.Msg.GetEvents() {
			got = append(got, ev.GetId())
		}
		pages++
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Equal(t, want, got, "every event once, by start time")
	assert.Equal(t, 3, pages)

	// ListMyEvents: the same events and the draft, newest start first.
	draft := createEvent(t, a, host, eventInput(a))
	mine := []string{draft.GetId()}
	for i := range want {
		mine = append(mine, want[len(want)-1-i])
	}
	got, token = nil, ""
	for {
		resp, err := a.Events.ListMyEvents(ctx, testenv.As(host, &eventsv1.ListMyEventsRequest{PageSize: 2, PageToken: token}))
		require.NoError(t, err)
		for _, ev := range resp.Msg.GetEvents() {
			got = append(got, ev.GetId())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Equal(t, mine, got)
}

func TestCancelEvent_StartsTheCancellationWorkflow(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, guest := a.Login(t, newPhone()), a.Login(t, newPhone())
	ev := publishEvent(t, a, host, eventInput(a))

	for range 2 { // cancelling again is harmless
		resp, err := a.Events.CancelEvent(ctx, testenv.As(host, &eventsv1.CancelEventRequest{EventId: ev.GetId(), Reason: "Rain"}))
		require.NoError(t, err)
		assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_CANCELLED, resp.Msg.GetEvent().GetStatus())
		assert.EqualValues(t, 0, resp.Msg.GetEvent().GetSeatsAvailable())
	}
	got, err := getEvent(a, guest, ev.GetId())
	require.NoError(t, err, "attendees can still see a cancelled public event")
	assert.Equal(t, eventsv1.EventStatus_EVENT_STATUS_CANCELLED, got.GetStatus())
	assert.Empty(t, listTitles(t, a, guest, &eventsv1.ListEventsRequest{}))

	audits, err := db.AuditLogsFor(ctx, a.DB, "event", ev.GetId())
	require.NoError(t, err)
	var cancels int
	for _, row := range audits {
		if row.Action == "cancel" {
			cancels++
			assert.Equal(t, "Rain", row.Payload["reason"])
		}
	}
	assert.Equal(t, 1, cancels, "the second cancel changes nothing")

	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var res workflows.EventCancellationResult
	require.NoError(t, a.Temporal.GetWorkflow(waitCtx, workflows.EventCancellationWorkflowID(ev.GetId()), "").Get(waitCtx, &res))
	assert.Equal(t, workflows.EventCancellationResult{}, res, "no orders to tell")
}

func TestVenues_CreateUseAndPage(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	s := a.Login(t, newPhone())
	var ids []string
	for _, name := range []string{"Blue Frog", "Blue Tokai", "Bluebird | Rooftop", "Red Room"} {
		resp, err := a.Events.CreateVenue(ctx, testenv.As(s, &eventsv1.CreateVenueRequest{Name: name, Latitude: 19.07, Longitude: 72.87}))
		require.NoError(t, err)
		ids = append(ids, resp.Msg.GetVenue().GetId())
	}
	ev := createEvent(t, a, s, eventInput(a, func(in *eventsv1.EventInput) { in.VenueId = proto.String(ids[0]) }))
	assert.Equal(t, ids[0], ev.GetVenueId())
	assert.InDelta(t, 19.07, ev.GetLatitude(), 1e-9, "coordinates come from the venue")
	assert.InDelta(t, 72.87, ev.GetLongitude(), 1e-9)

	var names []string
	token := ""
	for {
		resp, err := a.Events.ListVenues(ctx, testenv.As(s, &eventsv1.ListVenuesRequest{Query: "blue", PageSize: 1, PageToken: token}))
		require.NoError(t, err)
		for _, v := range resp.Msg.GetVenues() {
			names = append(names, v.GetName())
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			break
		}
	}
	assert.Equal(t, []string{"Blue Frog", "Blue Tokai", "Bluebird | Rooftop"}, names)
	audits, err := db.AuditLogsFor(ctx, a.DB, "venue", ids[0])
	require.NoError(t, err)
	assert.Len(t, audits, 1)
}
