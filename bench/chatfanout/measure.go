package main

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/convene/convene/bench/internal/stack"
	"github.com/convene/convene/db"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// timings are a set of durations, sorted, with the wall time they took.
type timings struct {
	latencies []time.Duration
	wall      time.Duration
}

// perSecond is the timed items per second of wall time.
func (t timings) perSecond() float64 { return float64(len(t.latencies)) / max(t.wall.Seconds(), 1e-9) }

// percentile is the nearest-rank q-th percentile (0 < q ≤ 1), or 0 when
// there is nothing timed.
func (t timings) percentile(q float64) time.Duration { return stack.Percentile(t.latencies, q) }

// results are the run's figures and what the checks found.
type results struct {
	// sends are the SendMessage calls; deliveries every message's arrival
	// at every stream, timed from the start of its send. Their wall time
	// runs from the first send to the last answer and the last delivery.
	sends, deliveries timings
	sendErrors        int
	firstSendErr      error
	// ceiling are the raw inserts of the same rows.
	ceiling timings
	// missing, duplicates and outOfOrder count stream deliveries that are
	// not exactly each message once, in sequence order.
	missing, duplicates, outOfOrder int
	storedRows                      int
	failures                        []string
}

// watcher is one member's WatchMessages stream and what it received.
type watcher struct {
	seqs []int64
	at   []time.Time
	// done is closed once the stream received as many messages as sent.
	done chan struct{}
	err  error
}

// measure seeds, opens the streams, sends, waits for the deliveries,
// checks them, then measures the ceiling.
func measure(ctx context.Context, s *stack.Stack, apiURLs []string, o options) (results, error) {
	progress("writing the host, an event, %d members and their group", o.members)
	w, err := seed(ctx, s, o.members)
	if err != nil {
		return results{}, err
	}
	// No client timeout: it would cut the streams.
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.members + o.senders}}
	clients := make([]socialv1connect.ChatServiceClient, len(apiURLs))
	for i, u := range apiURLs {
		clients[i] = socialv1connect.NewChatServiceClient(httpClient, u)
	}
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer stopStreams()
	progress("opening %d WatchMessages streams across %d API processes", o.members, len(apiURLs))
	watchers, wg, err := openStreams(streamCtx, clients, w, o.messages)
	if err != nil {
		return results{}, err
	}
	progress("sending %d messages, %d at a time", o.messages, o.senders)
	starts, sends := sendMessages(ctx, clients, w, o)
	var r results
	r.sends, r.sendErrors, r.firstSendErr = sends.timings, sends.errors, sends.firstErr
	r.deliveries.wall = awaitDeliveries(watchers, sends.began, o.drain)
	stopStreams()
	wg.Wait()
	r.tally(watchers, starts, o.messages)
	if err := s.DB().NewSelect().TableExpr("group_messages").Where("group_id = ?", w.groupID).
		ColumnExpr("count(*)").Scan(ctx, &r.storedRows); err != nil {
		return r, fmt.Errorf("count stored messages: %w", err)
	}
	r.check(o)
	progress("ceiling: %d raw INSERTs of the same rows, %d at a time", o.messages, o.senders)
	if r.ceiling, err = insertCeiling(ctx, s.DB(), w, o); err != nil {
		return r, err
	}
	return r, nil
}

// openStreams opens one stream per member, alternating the API processes,
// and returns once every watch is registered (its response headers came
// back), so nothing sent afterwards can be missed.
func openStreams(ctx context.Context, clients []socialv1connect.ChatServiceClient, w *world, messages int) ([]*watcher, *sync.WaitGroup, error) {
	watchers := make([]*watcher, len(w.members))
	wg := new(sync.WaitGroup)
	for i := range w.members {
		req := authed(w.tokens[i], &socialv1.WatchMessagesRequest{GroupIds: []string{w.groupID.String()}})
		stream, err := clients[i%len(clients)].WatchMessages(ctx, req)
		if err != nil {
			return nil, nil, fmt.Errorf("watch as member %d: %w", i, err)
		}
		if stream.ResponseHeader() == nil || stream.Err() != nil {
			return nil, nil, fmt.Errorf("watch as member %d: %w", i, stream.Err())
		}
		wt := &watcher{done: make(chan struct{})}
		watchers[i] = wt
		wg.Go(func() {
			defer stream.Close()
			for stream.Receive() {
				ev := stream.Msg().GetEvent()
				if ev.GetKind() != socialv1.ChatEvent_KIND_CREATED {
					continue
				}
				wt.seqs = append(wt.seqs, ev.GetMessage().GetSeq())
				wt.at = append(wt.at, time.Now())
				if len(wt.seqs) == messages {
					close(wt.done)
				}
			}
			if ctx.Err() == nil {
				wt.err = stream.Err()
			}
		})
	}
	return watchers, wg, nil
}

// sendRound is what the SendMessage calls came back with.
type sendRound struct {
	timings
	began    time.Time
	errors   int
	firstErr error
}

// sendMessages sends message k as member k mod members through API k mod
// the APIs, senders at a time, and returns when each send started, by the
// seq the API gave it.
func sendMessages(ctx context.Context, clients []socialv1connect.ChatServiceClient, w *world, o options) (map[int64]time.Time, sendRound) {
	var (
		mu     sync.Mutex
		starts = make(map[int64]time.Time, o.messages)
		round  sendRound
		next   atomic.Int64
		wg     sync.WaitGroup
	)
	round.began = time.Now()
	for range o.senders {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < o.messages; k = int(next.Add(1) - 1) {
				member := k % len(w.members)
				req := authed(w.tokens[member], &socialv1.SendMessageRequest{GroupId: w.groupID.String(),
					Content: fmt.Sprintf("Message %d: meet at the bar by the stage in ten minutes", k), ClientMessageId: fmt.Sprintf("m%d", k)})
				start := time.Now()
				res, err := clients[k%len(clients)].SendMessage(ctx, req)
				took := time.Since(start)
				mu.Lock()
				if err != nil {
					round.errors++
					round.firstErr = cmp.Or(round.firstErr, err)
				} else {
					starts[res.Msg.GetMessage().GetSeq()] = start
					round.latencies = append(round.latencies, took)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	round.wall = time.Since(round.began)
	slices.Sort(round.latencies)
	return starts, round
}

// awaitDeliveries waits until every stream has received every message, or
// drain has passed since the sends ended, and returns the time from the
// first send to the last delivery.
func awaitDeliveries(watchers []*watcher, began time.Time, drain time.Duration) time.Duration {
	deadline := time.NewTimer(drain)
	defer deadline.Stop()
	for _, wt := range watchers {
		select {
		case <-wt.done:
		case <-deadline.C:
			return time.Since(began)
		}
	}
	last := began
	for _, wt := range watchers {
		if n := len(wt.at); n > 0 && wt.at[n-1].After(last) {
			last = wt.at[n-1]
		}
	}
	return last.Sub(began)
}

// tally times every delivery and counts those that are missing, repeated
// or out of sequence order. Call it once the streams have stopped.
func (r *results) tally(watchers []*watcher, starts map[int64]time.Time, sent int) {
	for i, wt := range watchers {
		if wt.err != nil {
			r.failures = append(r.failures, fmt.Sprintf("stream %d ended: %v", i, wt.err))
		}
		seen := make(map[int64]bool, len(wt.seqs))
		for j, seq := range wt.seqs {
			if seen[seq] {
				r.duplicates++
				continue
			}
			seen[seq] = true
			if j > 0 && seq <= wt.seqs[j-1] {
				r.outOfOrder++
			}
			if start, ok := starts[seq]; ok {
				r.deliveries.latencies = append(r.deliveries.latencies, wt.at[j].Sub(start))
			}
		}
		r.missing += max(sent-len(seen), 0)
	}
	slices.Sort(r.deliveries.latencies)
}

// check turns wrong outcomes into failures.
func (r *results) check(o options) {
	if r.sendErrors > 0 {
		r.failures = append(r.failures, fmt.Sprintf("%d SendMessage calls failed, e.g. %v", r.sendErrors, r.firstSendErr))
	}
	if r.storedRows != o.messages {
		r.failures = append(r.failures, fmt.Sprintf("%d messages stored, want %d", r.storedRows, o.messages))
	}
	if r.missing > 0 || r.duplicates > 0 || r.outOfOrder > 0 {
		r.failures = append(r.failures, fmt.Sprintf("streams: %d deliveries missing, %d repeated, %d out of order",
			r.missing, r.duplicates, r.outOfOrder))
	}
}

// insertCeiling inserts o.messages rows of the same shape into the
// ceiling's group, senders at a time, one autocommitted INSERT each, with
// the sequence counted in memory: the database's own rate for these rows,
// without the API, the group's row lock or the notification.
func insertCeiling(ctx context.Context, d *db.DB, w *world, o options) (timings, error) {
	var (
		t    timings
		next atomic.Int64
		mu   sync.Mutex
		errs = make(chan error, o.senders)
		wg   sync.WaitGroup
	)
	began := time.Now()
	for range o.senders {
		wg.Go(func() {
			for k := next.Add(1); k <= int64(o.messages); k = next.Add(1) {
				start := time.Now()
				_, err := d.ExecContext(ctx, `INSERT INTO group_messages
					(id, group_id, sender_id, client_message_id, content, seq, change_seq, sent_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, now())`, uuid.New(), w.ceilingGroupID, w.members[0],
					fmt.Sprintf("ceiling-%d", k), fmt.Sprintf("Message %d: meet at the bar by the stage in ten minutes", k), k, k)
				if err != nil {
					errs <- fmt.Errorf("ceiling insert %d: %w", k, err)
					return
				}
				mu.Lock()
				t.latencies = append(t.latencies, time.Since(start))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.wall = time.Since(began)
	close(errs)
	if err := <-errs; err != nil {
		return t, err
	}
	slices.Sort(t.latencies)
	return t, nil
}
