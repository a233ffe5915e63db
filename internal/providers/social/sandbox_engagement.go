package social

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// metricsGrowFor is how long after publishing a sandbox post keeps
// gaining impressions; after it the figures stay put.
const metricsGrowFor = 7 * 24 * time.Hour

// commentEvery is the gap between a sandbox post's comments.
const commentEvery = 15 * time.Minute

// sandboxComments are what sandbox audiences say: mixed positive and
// negative words, negations and emoticons, for sentiment analysis.
var sandboxComments = []string{
	"Love this, great lineup!",
	"This is not good, the venue was too crowded :(",
	"Amazing speakers, thanks for sharing #convene",
	"Terrible wifi and long queues at registration",
	"Really excited for day two! :)",
	"Not sure about this one, the schedule keeps changing",
	"Best event of the year, @convene nailed it",
	"Disappointing, very annoying delays",
	"Helpful session, I would recommend it",
	"The food was bad but the talks were excellent",
}

func (p *sandboxPlatform) Metrics(ctx context.Context, accessToken, postID string) (Metrics, error) {
	var out Metrics
	err := p.withPost(ctx, OpMetrics, accessToken, postID, func(post SandboxPost, now time.Time) {
		out = metricsAt(post.Published, now)
	})
	return out, err
}

func (p *sandboxPlatform) Comments(ctx context.Context, accessToken, postID, after string) ([]Comment, error) {
	from := 0
	if after != "" {
		n, err := commentIndex(postID, after)
		if err != nil {
			return nil, err
		}
		from = n + 1
	}
	var out []Comment
	err := p.withPost(ctx, OpComments, accessToken, postID, func(post SandboxPost, now time.Time) {
		all := commentsOf(post.Published)
		for _, c := range all[min(from, len(all)):] {
			if c.At.After(now) {
				break
			}
			out = append(out, c)
		}
	})
	return out, err
}

// withPost authorizes the call, applies failures on demand and runs read
// on the account's post postID at the sandbox's now.
func (p *sandboxPlatform) withPost(ctx context.Context, op Op, accessToken, postID string,
	read func(SandboxPost, time.Time)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	acct, err := p.s.authorize(p.name, accessToken)
	if err != nil {
		return err
	}
	return p.s.guard(ctx, call{op: op, account: acct.PlatformUserID, ref: postID}, func() error {
		p.s.mu.Lock()
		post, ok := p.s.byID[postID]
		var snapshot SandboxPost
		if ok {
			snapshot = *post
		}
		p.s.mu.Unlock()
		if !ok || snapshot.AccountID != acct.PlatformUserID || snapshot.Platform != p.name {
			return fmt.Errorf("post %q: %w", postID, ErrNotFound)
		}
		read(snapshot, p.s.cfg.Now())
		return nil
	})
}

// seedOf is a post's fixed random-looking number, so its audience is the
// same on every run.
func seedOf(postID string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(postID))
	return h.Sum64()
}

// metricsAt are a post's figures at now: impressions grow by a
// per-post rate each minute for metricsGrowFor; the rest follow from them;
// comments count those posted by now.
func metricsAt(p Published, now time.Time) Metrics {
	seed := seedOf(p.PostID)
	elapsed := min(max(now.Sub(p.PublishedAt), 0), metricsGrowFor)
	minutes := int64(elapsed / time.Minute)
	impressions := minutes * int64(5+seed%10)
	likes := impressions * int64(2+seed%5) / 100
	var comments int64
	for _, c := range commentsOf(p) {
		if !c.At.After(now) {
			comments++
		}
	}
	return Metrics{Impressions: impressions, Reach: impressions * int64(60+seed%30) / 100,
		Likes: likes, Comments: comments, Shares: likes / 5, MeasuredAt: now}
}

// commentsOf is every comment a post will ever get: 3 to 6, one every
// commentEvery after publishing.
func commentsOf(p Published) []Comment {
	seed := seedOf(p.PostID)
	n := 3 + int(seed%4)
	out := make([]Comment, n)
	for i := range out {
		out[i] = Comment{
			ID:   fmt.Sprintf("%s-c%02d", p.PostID, i),
			Text: sandboxComments[(int(seed%uint64(len(sandboxComments)))+3*i)%len(sandboxComments)],
			At:   p.PublishedAt.Add(time.Duration(i+1) * commentEvery),
		}
	}
	return out
}

// commentIndex is the position of comment ID id on post postID.
func commentIndex(postID, id string) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(id, postID+"-c"))
	if !strings.HasPrefix(id, postID+"-c") || err != nil || n < 0 {
		return 0, fmt.Errorf("%w: comment cursor %q is not a comment of post %q", ErrRejected, id, postID)
	}
	return n, nil
}
