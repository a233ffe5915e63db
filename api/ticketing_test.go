package api_test

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/testenv"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// eventSpec shapes a published event inserted for a test.
type eventSpec struct {
	capacity    int32
	priceMinor  int64
	approval    bool
	maxSeats    int32
	holdMinutes int32
	// doorOpensMinutes is how long before the start check-in opens (240 when 0).
	doorOpensMinutes int32
}

func publishedEvent(t *testing.T, a *testenv.API, host testenv.Session, spec eventSpec) *db.Event {
	t.Helper()
	ev := &db.Event{ID: db.NewID(), HostUserID: mustUUID(host.UserID), Title: "Rooftop Jazz", StartsAt: time.Now().Add(72 * time.Hour),
		Timezone: "Asia/Kolkata", Capacity: spec.capacity, MaxSeatsPerRequest: max(spec.maxSeats, 1), AllowedGenders: "all",
		IsPaid: spec.priceMinor > 0, TicketPriceMinor: spec.priceMinor, Currency: "INR", GSTBps: 1800, FeeMode: "absorbed",
		RequiresApproval: spec.approval, Visibility: "public", Status: db.EventPublished, HoldMinutes: max(spec.holdMinutes, 15),
		RefundCutoffHours: 24, CoverImages: []string{},
		DoorOpensMinutesBefore: cmp.Or(spec.doorOpensMinutes, 240)}
	ev.EndsAt = ev.StartsAt.Add(3 * time.Hour)
	ev.Slug = "rooftop-jazz-" + ev.ID.String()[24:]
	require.NoError(t, db.InsertEvent(context.Background(), a.DB, ev))
	return ev
}

func requestStatus(t *testing.T, a *testenv.API, s testenv.Session, requestID string) *eventsv1.JoinRequest {
	t.Helper()
	resp, err := a.Ticketing.GetRequest(context.Background(), testenv.As(s, &eventsv1.GetRequestRequest{RequestId: requestID}))
	require.NoError(t, err)
	return resp.Msg.GetRequest()
}

func awaitStatus(t *testing.T, a *testenv.API, s testenv.Session, requestID string, want eventsv1.RequestStatus) *eventsv1.JoinRequest {
	t.Helper()
	var last *eventsv1.JoinRequest
	testenv.Eventually(t, 20*time.Second, func() bool {
		last = requestStatus(t, a, s, requestID)
		return last.GetStatus() == want
	}, "request %s never reached %s (last %s)", requestID, want, func() string { return last.GetStatus().String() }())
	return last
}

func countRows(t *testing.T, a *testenv.API, model any, where string, args ...any) int64 {
	t.Helper()
	n, err := a.DB.NewSelect().Model(model).Where(where, args...).Count(context.Background())
	require.NoError(t, err)
	return n
}

// payOnCheckoutPage does what the buyer does: open the checkout page and
// press Pay. The sandbox then delivers its signed webhook to the API.
func payOnCheckoutPage(t *testing.T, a *testenv.API, checkoutURL string) {
	t.Helper()
	page, err := a.HTTP.Get(checkoutURL)
	require.NoError(t, err)
	page.Body.Close()
	require.Equal(t, http.StatusOK, page.StatusCode)
	noRedirect := *a.HTTP
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.PostForm(checkoutURL+"/pay", url.Values{})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotContains(t, resp.Header.Get("Location"), "webhook=failed", "the webhook reached the API")
}

func TestTicketing_PaidFlowThroughSandboxCheckoutAndWebhook(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 10, priceMinor: 50000, approval: true, maxSeats: 2})

	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 2}))
	require.NoError(t, err)
	r := joined.Msg.GetRequest()
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_PENDING, r.GetStatus())
	assert.Equal(t, int64(118000), r.GetPrice().GetTotal().GetAmountMinor(), "₹500 × 2 + 18% GST")

	_, err = a.Ticketing.DecideRequest(ctx, testenv.As(buyer, &eventsv1.DecideRequestRequest{RequestId: r.GetId(), Accept: true}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	decided, err := a.Ticketing.DecideRequest(ctx, testenv.As(host, &eventsv1.DecideRequestRequest{RequestId: r.GetId(), Accept: true, HostMessage: "see you"}))
	require.NoError(t, err)
	r = decided.Msg.GetRequest()
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT, r.GetStatus())
	require.NotNil(t, r.GetHoldExpiresAt())
	r = awaitCheckout(t, a, buyer, r.GetId())

	payOnCheckoutPage(t, a, r.GetCheckoutUrl())
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)

	tickets, err := a.Ticketing.ListMyTickets(ctx, testenv.As(buyer, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	require.Len(t, tickets.Msg.GetTickets(), 1)
	assert.Equal(t, int32(2), tickets.Msg.GetTickets()[0].GetSeats())
	assert.NotEmpty(t, tickets.Msg.GetTickets()[0].GetCode())
	var order db.PaymentOrder
	require.NoError(t, a.DB.NewSelect().Model(&order).Where("request_id = ?", mustUUID(r.GetId())).Scan(ctx))
	assert.Equal(t, "paid", order.Status)
	assert.Equal(t, int64(118000), order.AmountMinor)
	stored, err := db.EventByID(ctx, a.DB, ev.ID)
	require.NoError(t, err)
	assert.Equal(t, int32(2), stored.GoingCount)
	assert.Equal(t, int32(2), stored.SeatsTaken)
	notes, err := db.NotificationsOf(ctx, a.DB, mustUUID(host.UserID))
	require.NoError(t, err)
	assert.NotEmpty(t, notes, "the host is told about the new attendee")
}

func awaitCheckout(t *testing.T, a *testenv.API, s testenv.Session, requestID string) *eventsv1.JoinRequest {
	t.Helper()
	var r *eventsv1.JoinRequest
	testenv.Eventually(t, 20*time.Second, func() bool {
		r = requestStatus(t, a, s, requestID)
		return r.GetCheckoutUrl() != ""
	}, "no checkout url for %s", requestID)
	return r
}

// paidOrder runs a free-of-approval paid order up to its checkout.
func paidOrder(t *testing.T, a *testenv.API) (testenv.Session, *db.Event, *eventsv1.JoinRequest) {
	t.Helper()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, priceMinor: 25000})
	joined, err := a.Ticketing.RequestToJoin(context.Background(), testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_AWAITING_PAYMENT, joined.Msg.GetRequest().GetStatus())
	return buyer, ev, awaitCheckout(t, a, buyer, joined.Msg.GetRequest().GetId())
}

func TestTicketing_SameWebhookFiveTimesMakesOnePaymentOneTicket(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	buyer, ev, r := paidOrder(t, a)
	providerID := r.GetCheckoutUrl()[strings.LastIndex(r.GetCheckoutUrl(), "/")+1:]

	event, err := a.Sandbox.Pay(ctx, providerID)
	require.NoError(t, err)
	for range 4 {
		require.NoError(t, a.Sandbox.DeliverWebhook(ctx, event.ID), "a repeated delivery is acknowledged")
	}
	awaitStatus(t, a, buyer, r.GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	time.Sleep(300 * time.Millisecond) // let any stray duplicate processing finish before counting

	assert.EqualValues(t, 1, countRows(t, a, (*db.WebhookEvent)(nil), "event_id = ?", event.ID))
	assert.EqualValues(t, 1, countRows(t, a, (*db.PaymentOrder)(nil), "event_id = ? AND status = 'paid'", ev.ID))
	assert.EqualValues(t, 1, countRows(t, a, (*db.Attendee)(nil), "event_id = ?", ev.ID))
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))
}

func TestTicketing_WebhookWithBadSignatureRejected(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	_, _, r := paidOrder(t, a)
	providerID := r.GetCheckoutUrl()[strings.LastIndex(r.GetCheckoutUrl(), "/")+1:]
	event, err := a.Sandbox.Pay(ctx, providerID)
	require.NoError(t, err)
	before := countRows(t, a, (*db.WebhookEvent)(nil), "true")

	payload, header, err := a.Sandbox.SignedWebhook(event.ID)
	require.NoError(t, err)
	tests := []struct {
		name   string
		body   string
		header http.Header
	}{
		{"tampered body", strings.Replace(string(payload), event.ID, event.ID+"x", 1), header},
		{"no signature", string(payload), http.Header{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, a.URL+"/webhooks/payments/sandbox", strings.NewReader(tc.body))
			require.NoError(t, err)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			resp, err := a.HTTP.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		})
	}
	assert.Equal(t, before, countRows(t, a, (*db.WebhookEvent)(nil), "true"), "rejected webhooks change nothing")
}

// TestTicketing_RushOnFreeEventNeverOversells: 200 people request a
// 50-seat free event at once (40 for 10 seats with -short, which the race
// run uses: its instrumented in-process Temporal is many times slower).
func TestTicketing_RushOnFreeEventNeverOversells(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host := a.NewUser(t, newPhone())
	people, seats := 200, 50
	if testing.Short() {
		people, seats = 40, 10
	}
	waiting := people - seats
	ev := publishedEvent(t, a, host, eventSpec{capacity: int32(seats)})
	buyers := make([]testenv.Session, people)
	for i := range buyers {
		buyers[i] = a.NewUser(t, fmt.Sprintf("+1415777%04d", i))
	}
	var accepted, waitlisted atomic.Int32
	var wg sync.WaitGroup
	for _, b := range buyers {
		wg.Go(func() {
			resp, err := a.Ticketing.RequestToJoin(ctx, testenv.As(b, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
			if !assert.NoError(t, err) {
				return
			}
			switch resp.Msg.GetRequest().GetStatus() {
			case eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED:
				accepted.Add(1)
			case eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED:
				waitlisted.Add(1)
			default:
				t.Errorf("unexpected status %s", resp.Msg.GetRequest().GetStatus())
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, seats, accepted.Load())
	assert.EqualValues(t, waiting, waitlisted.Load())
	assert.EqualValues(t, seats, countRows(t, a, (*db.Ticket)(nil), "event_id = ?", ev.ID))
	assert.EqualValues(t, waiting, countRows(t, a, (*db.Request)(nil), "event_id = ? AND status = 'waitlisted'", ev.ID))
	stored, err := db.EventByID(ctx, a.DB, ev.ID)
	require.NoError(t, err)
	assert.EqualValues(t, seats, stored.GoingCount)
	assert.EqualValues(t, seats, stored.SeatsTaken)
	assert.EqualValues(t, waiting, stored.WaitlistCount)
	assert.EqualValues(t, people, stored.RequestsCount)
}

func TestTicketing_ConcurrentCheckInsOfOneCode(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5})
	joined, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, joined.Msg.GetRequest().GetStatus())
	mine, err := a.Ticketing.ListMyTickets(ctx, testenv.As(buyer, &eventsv1.ListMyTicketsRequest{}))
	require.NoError(t, err)
	code := mine.Msg.GetTickets()[0].GetCode()
	// Open the door; the jump expired the tokens, so sign in again.
	a.Clock.Advance(ev.StartsAt.Sub(time.Now()) - time.Hour)
	host, buyer = a.Login(t, host.Phone), a.Login(t, buyer.Phone)

	results := make([]eventsv1.CheckInResult, 20)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			resp, err := a.Ticketing.CheckIn(ctx, testenv.As(host, &eventsv1.CheckInRequest{EventId: ev.ID.String(), Code: code, Nonce: fmt.Sprintf("scan-%d", i), DeviceId: "door-1"}))
			if assert.NoError(t, err) {
				results[i] = resp.Msg.GetResult()
			}
		})
	}
	wg.Wait()
	counts := map[eventsv1.CheckInResult]int{}
	okIndex := -1
	for i, r := range results {
		counts[r]++
		if r == eventsv1.CheckInResult_CHECK_IN_RESULT_OK {
			okIndex = i
		}
	}
	assert.Equal(t, 1, counts[eventsv1.CheckInResult_CHECK_IN_RESULT_OK])
	assert.Equal(t, 19, counts[eventsv1.CheckInResult_CHECK_IN_RESULT_ALREADY_REDEEMED])

	again, err := a.Ticketing.CheckIn(ctx, testenv.As(host, &eventsv1.CheckInRequest{EventId: ev.ID.String(), Code: code, Nonce: fmt.Sprintf("scan-%d", okIndex), DeviceId: "door-1"}))
	require.NoError(t, err)
	assert.Equal(t, eventsv1.CheckInResult_CHECK_IN_RESULT_OK, again.Msg.GetResult(), "a retry with the same nonce gets the same answer")

	other := publishedEvent(t, a, host, eventSpec{capacity: 5})
	tests := []struct {
		name    string
		eventID string
		code    string
		want    eventsv1.CheckInResult
	}{
		{"wrong event", other.ID.String(), code, eventsv1.CheckInResult_CHECK_IN_RESULT_WRONG_EVENT},
		{"forged code", ev.ID.String(), code[:len(code)-4] + "AAAA", eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_FOUND},
		{"garbage", ev.ID.String(), "hello", eventsv1.CheckInResult_CHECK_IN_RESULT_NOT_FOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := a.Ticketing.CheckIn(ctx, testenv.As(host, &eventsv1.CheckInRequest{EventId: tc.eventID, Code: tc.code, Nonce: "n", DeviceId: "door-1"}))
			require.NoError(t, err)
			assert.Equal(t, tc.want, resp.Msg.GetResult())
		})
	}
	_, err = a.Ticketing.CheckIn(ctx, testenv.As(buyer, &eventsv1.CheckInRequest{EventId: ev.ID.String(), Code: code, Nonce: "self", DeviceId: "phone"}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
}

func TestTicketing_BuyerCancelRevokesAndOffersWaitlist(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, first, second := a.NewUser(t, newPhone()), a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 1})
	r1, err := a.Ticketing.RequestToJoin(ctx, testenv.As(first, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, r1.Msg.GetRequest().GetStatus())
	r2, err := a.Ticketing.RequestToJoin(ctx, testenv.As(second, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	require.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED, r2.Msg.GetRequest().GetStatus())
	assert.Equal(t, int32(1), r2.Msg.GetRequest().GetWaitlistPosition())

	_, err = a.Ticketing.CancelRequest(ctx, testenv.As(second, &eventsv1.CancelRequestRequest{RequestId: r1.Msg.GetRequest().GetId()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	cancelled, err := a.Ticketing.CancelRequest(ctx, testenv.As(first, &eventsv1.CancelRequestRequest{RequestId: r1.Msg.GetRequest().GetId(), Reason: "sick"}))
	require.NoError(t, err)
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_CANCELLED, cancelled.Msg.GetRequest().GetStatus())

	awaitStatus(t, a, second, r2.Msg.GetRequest().GetId(), eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED)
	assert.EqualValues(t, 1, countRows(t, a, (*db.Ticket)(nil), "event_id = ? AND revoked_at IS NOT NULL", ev.ID))
	stored, err := db.EventByID(ctx, a.DB, ev.ID)
	require.NoError(t, err)
	assert.Equal(t, int32(1), stored.GoingCount)
	assert.Equal(t, int32(0), stored.WaitlistCount)
}

func TestTicketing_RequestValidationAndPermissions(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, buyer := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, maxSeats: 2})
	tests := []struct {
		name string
		as   testenv.Session
		req  *eventsv1.RequestToJoinRequest
		want connect.Code
	}{
		{"too many seats", buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 3}, connect.CodeInvalidArgument},
		{"zero seats", buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 0}, connect.CodeInvalidArgument},
		{"unknown event", buyer, &eventsv1.RequestToJoinRequest{EventId: db.NewID().String(), Seats: 1}, connect.CodeNotFound},
		{"host joins own event", host, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}, connect.CodeFailedPrecondition},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Ticketing.RequestToJoin(ctx, testenv.As(tc.as, tc.req))
			testenv.RequireCode(t, err, tc.want)
		})
	}
	assert.EqualValues(t, 0, countRows(t, a, (*db.Request)(nil), "event_id = ?", ev.ID), "refused requests leave no row")

	_, err := a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	require.NoError(t, err)
	_, err = a.Ticketing.RequestToJoin(ctx, testenv.As(buyer, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)

	_, err = a.Ticketing.ListAttendees(ctx, testenv.As(buyer, &eventsv1.ListAttendeesRequest{EventId: ev.ID.String()}))
	testenv.RequireCode(t, err, connect.CodePermissionDenied)
	attendees, err := a.Ticketing.ListAttendees(ctx, testenv.As(host, &eventsv1.ListAttendeesRequest{EventId: ev.ID.String()}))
	require.NoError(t, err)
	assert.Len(t, attendees.Msg.GetAttendees(), 1)
	key, err := a.Ticketing.GetCheckinKey(ctx, testenv.As(host, &eventsv1.GetCheckinKeyRequest{EventId: ev.ID.String()}))
	require.NoError(t, err)
	assert.Equal(t, "Ed25519", key.Msg.GetAlgorithm())
}

func TestTicketing_InviteSkipsApproval(t *testing.T) {
	a := setup(t)
	ctx := context.Background()
	host, guest := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	ev := publishedEvent(t, a, host, eventSpec{capacity: 5, approval: true})
	inv, err := a.Ticketing.InviteUser(ctx, testenv.As(host, &eventsv1.InviteUserRequest{EventId: ev.ID.String(),
		Invitee: &eventsv1.InviteUserRequest_UserId{UserId: guest.UserID}}))
	require.NoError(t, err)
	resp, err := a.Ticketing.RespondToInvite(ctx, testenv.As(guest, &eventsv1.RespondToInviteRequest{Token: inv.Msg.GetInvite().GetToken(), Accept: true, Seats: 1}))
	require.NoError(t, err)
	assert.Equal(t, eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED, resp.Msg.GetRequest().GetStatus(), "no host approval needed")
	assert.Equal(t, "accepted", resp.Msg.GetInvite().GetStatus())

	link, err := a.Ticketing.CreateInviteLink(ctx, testenv.As(host, &eventsv1.CreateInviteLinkRequest{EventId: ev.ID.String(), MaxUses: 1}))
	require.NoError(t, err)
	first, second := a.NewUser(t, newPhone()), a.NewUser(t, newPhone())
	_, err = a.Ticketing.RequestToJoin(ctx, testenv.As(first, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1, InviteToken: link.Msg.GetInvite().GetToken()}))
	require.NoError(t, err)
	_, err = a.Ticketing.RespondToInvite(ctx, testenv.As(second, &eventsv1.RespondToInviteRequest{Token: link.Msg.GetInvite().GetToken(), Accept: true}))
	testenv.RequireCode(t, err, connect.CodeResourceExhausted)
	_, err = a.Ticketing.RespondToInvite(ctx, testenv.As(guest, &eventsv1.RespondToInviteRequest{Token: inv.Msg.GetInvite().GetToken(), Accept: true}))
	testenv.RequireCode(t, err, connect.CodeFailedPrecondition)
	assert.Contains(t, err.Error(), "already accepted")
	_, err = a.Ticketing.RequestToJoin(ctx, testenv.As(guest, &eventsv1.RequestToJoinRequest{EventId: ev.ID.String(), Seats: 1}))
	testenv.RequireCode(t, err, connect.CodeAlreadyExists)
}
