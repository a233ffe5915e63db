package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"connectrpc.com/connect"

	"github.com/convene/convene/bench/internal/stack"
	engagementv1 "github.com/convene/convene/proto/convene/engagement/v1"
	"github.com/convene/convene/proto/convene/engagement/v1/engagementv1connect"
)

// readKind is one kind of timed API call.
type readKind struct {
	name string
	// call makes call i as caller (a member's token).
	call func(ctx context.Context, c engagementv1connect.PointsServiceClient, i int, token string) error
}

// readResult is one kind's timed calls, sorted.
type readResult struct {
	name      string
	latencies []time.Duration
	errors    int
	firstErr  error
}

func (r readResult) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(p*float64(len(r.latencies))))]
}

// measureReads times o.calls calls of each kind.
func measureReads(ctx context.Context, s *stack.Stack, w *world, o options) ([]readResult, error) {
	c := engagementv1connect.NewPointsServiceClient(s.HTTPClient(o.concurrency), s.APIURL())
	caller, err := s.Token(w.members[0])
	if err != nil {
		return nil, err
	}
	progress("following page tokens to rank %d", o.deepRank)
	deepToken, err := tokenAtRank(ctx, c, w, caller, o.deepRank)
	if err != nil {
		return nil, err
	}
	org := w.orgID.String()
	allTime, month := engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_THIS_MONTH
	board := func(window engagementv1.LeaderboardWindow, team func(i int) *string, token string) func(context.Context, engagementv1connect.PointsServiceClient, int, string) error {
		return func(ctx context.Context, c engagementv1connect.PointsServiceClient, i int, tok string) error {
			resp, err := c.GetLeaderboard(ctx, authed(tok, &engagementv1.GetLeaderboardRequest{OrganizationId: org, Window: window,
				TeamId: team(i), PageSize: 50, PageToken: token}))
			if err == nil && len(resp.Msg.GetEntries()) == 0 {
				err = fmt.Errorf("empty page")
			}
			return err
		}
	}
	noTeam := func(int) *string { return nil }
	kinds := []readKind{
		{"GetLeaderboard all-time top 50", board(allTime, noTeam, "")},
		{"GetLeaderboard this month top 50", board(month, noTeam, "")},
		{fmt.Sprintf("GetLeaderboard page after rank %d", o.deepRank), board(allTime, noTeam, deepToken)},
		{"GetLeaderboard team top 50", board(allTime, func(i int) *string { t := w.teams[i%len(w.teams)].String(); return &t }, "")},
		{"GetMyRank all-time", func(ctx context.Context, c engagementv1connect.PointsServiceClient, _ int, tok string) error {
			_, err := c.GetMyRank(ctx, authed(tok, &engagementv1.GetMyRankRequest{OrganizationId: org, Window: allTime}))
			return err
		}},
	}
	var out []readResult
	for _, k := range kinds {
		progress("%d × %s", o.calls, k.name)
		r, err := timeCalls(ctx, s, c, w, o, k)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// timeCalls makes o.calls calls of k, o.concurrency at a time, each as a
// random member.
func timeCalls(ctx context.Context, s *stack.Stack, c engagementv1connect.PointsServiceClient, w *world, o options, k readKind) (readResult, error) {
	tokens := make([]string, o.calls)
	for i := range tokens {
		tok, err := s.Token(w.members[rand.IntN(len(w.members))])
		if err != nil {
			return readResult{}, err
		}
		tokens[i] = tok
	}
	r := readResult{name: k.name}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for i := range next {
				start := time.Now()
				err := k.call(ctx, c, i, tokens[i])
				d := time.Since(start)
				mu.Lock()
				if err != nil {
					r.errors++
					r.firstErr = cmpErr(r.firstErr, err)
				} else {
					r.latencies = append(r.latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	for i := range o.calls {
		next <- i
	}
	close(next)
	wg.Wait()
	slices.Sort(r.latencies)
	return r, nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// tokenAtRank follows next_page_token, 100 rows a page, until the page
// ending at rank (rounded down to a page), and returns the token of the
// page after it.
func tokenAtRank(ctx context.Context, c engagementv1connect.PointsServiceClient, w *world, caller string, rank int) (string, error) {
	token := ""
	for seen := 0; seen+100 <= rank; seen += 100 {
		resp, err := c.GetLeaderboard(ctx, authed(caller, &engagementv1.GetLeaderboardRequest{OrganizationId: w.orgID.String(),
			Window: engagementv1.LeaderboardWindow_LEADERBOARD_WINDOW_ALL_TIME, PageSize: 100, PageToken: token}))
		if err != nil {
			return "", fmt.Errorf("leaderboard page after %d: %w", seen, err)
		}
		if token = resp.Msg.GetNextPageToken(); token == "" {
			return "", fmt.Errorf("the leaderboard ended before rank %d", rank)
		}
	}
	return token, nil
}

// authed is msg with token.
func authed[T any](token string, msg *T) *connect.Request[T] {
	req := connect.NewRequest(msg)
	req.Header().Set("Authorization", "Bearer "+token)
	return req
}
