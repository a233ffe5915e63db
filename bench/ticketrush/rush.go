package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
	"github.com/convene/convene/proto/convene/events/v1/eventsv1connect"
)

// hostPhone is the host's number, outside the buyers' +1415800NNNN range.
const hostPhone = "+14155550100"

// buyerPhone is the E.164 number of buyer i.
func buyerPhone(i int) string { return fmt.Sprintf("+1415800%04d", i) }

// seed creates the host, the buyers (with access tokens the API accepts)
// and the free published event, straight in the database.
func seed(ctx context.Context, s *stack.Stack, o options) (*db.Event, []string, error) {
	var ev *db.Event
	buyers := make([]string, o.buyers)
	err := s.DB().InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		host, _, err := db.CreateUserWithPhone(ctx, tx, hostPhone)
		if err != nil {
			return fmt.Errorf("create host: %w", err)
		}
		if ev, err = insertEvent(ctx, tx, host, o.capacity); err != nil {
			return err
		}
		return createBuyers(ctx, tx, s, buyers, buyerPhone)
	})
	return ev, buyers, err
}

// createBuyers creates a user per slot of tokens, numbered by phone, and
// fills the slot with the user's access token.
func createBuyers(ctx context.Context, tx bun.Tx, s *stack.Stack, tokens []string, phone func(int) string) error {
	for i := range tokens {
		u, _, err := db.CreateUserWithPhone(ctx, tx, phone(i))
		if err != nil {
			return fmt.Errorf("create buyer %d: %w", i, err)
		}
		if tokens[i], err = s.Token(u.ID); err != nil {
			return fmt.Errorf("buyer %d: %w", i, err)
		}
	}
	return nil
}

// insertEvent writes a free, published, open-to-all event three days out,
// one seat per request, no approval: the pure first-come-first-served case.
func insertEvent(ctx context.Context, idb bun.IDB, host *db.User, capacity int) (*db.Event, error) {
	ev := &db.Event{ID: db.NewID(), HostUserID: host.ID, Title: "Ticket rush", StartsAt: time.Now().Add(72 * time.Hour),
		Timezone: "Asia/Kolkata", Capacity: int32(capacity), MaxSeatsPerRequest: 1, AllowedGenders: "all",
		Currency: "INR", GSTBps: 1800, FeeMode: "absorbed", Visibility: "public", Status: db.EventPublished,
		HoldMinutes: 15, RefundCutoffHours: 24, CoverImages: []string{}}
	ev.EndsAt = ev.StartsAt.Add(3 * time.Hour)
	ev.Slug = "ticket-rush-" + ev.ID.String()[24:]
	if err := db.InsertEvent(ctx, idb, ev); err != nil {
		return nil, fmt.Errorf("create event: %w", err)
	}
	return ev, nil
}

// outcome is what one RequestToJoin came back with.
type outcome struct {
	status  eventsv1.RequestStatus
	err     error
	latency time.Duration
}

// rushResult sums up the rush.
type rushResult struct {
	accepted, waitlisted, other, errors int
	// firstErr is an example error to show when some calls failed.
	firstErr error
	wall     time.Duration
	// latencies of the calls that got an answer, sorted.
	latencies []time.Duration
}

// rush sends one RequestToJoin per buyer token, at most concurrency at a
// time, and times each call.
func rush(ctx context.Context, c eventsv1connect.TicketingServiceClient, ev *db.Event, buyers []string, concurrency int) rushResult {
	outcomes := make([]outcome, len(buyers))
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range min(concurrency, len(buyers)) {
		wg.Go(func() {
			for i := range next {
				outcomes[i] = requestToJoin(ctx, c, ev.ID.String(), buyers[i])
			}
		})
	}
	for i := range buyers {
		next <- i
	}
	close(next)
	wg.Wait()
	return summarise(outcomes, time.Since(start))
}

// requestToJoin asks for one seat as the buyer whose token is given.
func requestToJoin(ctx context.Context, c eventsv1connect.TicketingServiceClient, eventID, token string) outcome {
	req := connect.NewRequest(&eventsv1.RequestToJoinRequest{EventId: eventID, Seats: 1})
	req.Header().Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := c.RequestToJoin(ctx, req)
	o := outcome{err: err, latency: time.Since(start)}
	if err == nil {
		o.status = resp.Msg.GetRequest().GetStatus()
	}
	return o
}

func summarise(outcomes []outcome, wall time.Duration) rushResult {
	r := rushResult{wall: wall}
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			r.errors++
			if r.firstErr == nil {
				r.firstErr = o.err
			}
			continue
		case o.status == eventsv1.RequestStatus_REQUEST_STATUS_ACCEPTED:
			r.accepted++
		case o.status == eventsv1.RequestStatus_REQUEST_STATUS_WAITLISTED:
			r.waitlisted++
		default:
			r.other++
		}
		r.latencies = append(r.latencies, o.latency)
	}
	slices.Sort(r.latencies)
	return r
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 1) of the sorted
// latencies, or 0 when there are none.
func (r rushResult) percentile(p float64) time.Duration { return stack.Percentile(r.latencies, p) }
