package activities

// Publishing: the side effects of the ContentPublish workflow. A post is
// written as "publishing" before the platform is called (BeginPost), the
// platform is called once per activity (PublishPost, LookupPost: the
// workflow runs them with a single attempt and decides what follows), and
// the outcome is recorded (RecordPost, MarkPost, FinishPublishing).

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/temporal"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/social"
)

// Error types the ContentPublish workflow branches on. Each is returned
// non-retryable: the workflow, not the retry policy, decides what comes
// after a platform call.
const (
	// ErrPostRateLimited: the platform answered 429; the error's details
	// hold the time.Duration to wait before the next call.
	ErrPostRateLimited = "PostRateLimited"
	// ErrPostRejected: the platform refused the post for good; nothing was
	// posted.
	ErrPostRejected = "PostRejected"
	// ErrPostOutcomeUnknown: the call timed out or the platform was
	// unavailable: the post may or may not exist.
	ErrPostOutcomeUnknown = "PostOutcomeUnknown"
)

// callMargin is kept of an activity's deadline after the platform call,
// so a call that hangs returns ErrPostOutcomeUnknown before the activity
// itself times out.
const callMargin = 5 * time.Second

// TokenBox seals and opens social account tokens (*secretbox.Box):
// AES-GCM with a key ID, the account bound in as additional data
// (db.SocialTokenAAD).
type TokenBox interface {
	Seal(plaintext, aad []byte) (ciphertext []byte, keyID string)
	Open(ciphertext []byte, keyID string, aad []byte) ([]byte, error)
}

// Publishing are the content publishing activities.
type Publishing struct {
	DB        *db.DB
	Platforms *social.Registry
	Tokens    TokenBox
	Now       func() time.Time
}

// PostTarget is one social account a version is for and the content's
// post there so far (Status "" when none was started).
type PostTarget struct {
	SocialAccountID string
	Platform        string
	Status          string
	PostID          string
	URL             string
	Error           string
}

// BeginPublishingInput names the version a publishing run posts.
type BeginPublishingInput struct {
	ContentID        string
	ContentVersionID string
}

// BeginPublishing marks the content as publishing and lists the version's
// targets with their posts so far.
func (a *Publishing) BeginPublishing(ctx context.Context, in BeginPublishingInput) ([]PostTarget, error) {
	contentID := uuid.MustParse(in.ContentID)
	var out []PostTarget
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.SetContentPublishing(ctx, tx, contentID); err != nil {
			return err
		}
		targets, err := db.PublishTargetsOf(ctx, tx, contentID, uuid.MustParse(in.ContentVersionID))
		if err != nil {
			return err
		}
		for _, t := range targets {
			out = append(out, PostTarget{SocialAccountID: t.SocialAccountID.String(), Platform: t.Platform,
				Status: t.Status, PostID: t.PlatformPostID, URL: t.URL, Error: t.LastError})
		}
		return nil
	})
	return out, err
}

// BeginPostInput is one target of a publishing run. Retry is set for a
// RetryPublish run, which takes over a needs_attention post.
type BeginPostInput struct {
	OrganizationID   string
	ContentID        string
	ContentVersionID string
	SocialAccountID  string
	Platform         string
	Retry            bool
}

// PostTicket is a target's post row once it is claimed.
type PostTicket struct {
	// RowID is the published_posts row the calls go through.
	RowID  string
	Status string
	// Publish is false when the post is settled (published, or left for
	// an operator); PostID and URL are then those recorded.
	Publish bool
	// MayExist asks the workflow to look the post up before publishing:
	// an earlier attempt was interrupted after the row was written.
	MayExist bool
	PostID   string
	URL      string
	Error    string
}

// BeginPost writes the target's "publishing" row, or finds the one
// already there (see db.ClaimPost).
func (a *Publishing) BeginPost(ctx context.Context, in BeginPostInput) (PostTicket, error) {
	contentID, accountID := uuid.MustParse(in.ContentID), uuid.MustParse(in.SocialAccountID)
	var out PostTicket
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		text, err := db.PostTextOf(ctx, tx, uuid.MustParse(in.ContentVersionID))
		if err != nil {
			return err
		}
		claim, err := db.ClaimPost(ctx, tx, &db.PublishedPost{OrganizationID: uuid.MustParse(in.OrganizationID),
			ContentID: contentID, ContentVersionID: uuid.MustParse(in.ContentVersionID), SocialAccountID: accountID,
			Platform: in.Platform, IdempotencyKey: db.PostIdempotencyKey(contentID, accountID),
			PublishedContent: map[string]any{"text": postText(text), "media_urls": text.MediaURLs}}, in.Retry)
		if err != nil {
			return err
		}
		p := claim.Post
		out = PostTicket{RowID: p.ID.String(), Status: p.PublishStatus, Publish: claim.Publish, MayExist: claim.MayExist,
			URL: p.PlatformURL, Error: p.LastError}
		if p.PlatformPostID != nil {
			out.PostID = *p.PlatformPostID
		}
		return nil
	})
	return out, err
}

// PostCall names the post row a platform call is for.
type PostCall struct {
	RowID string
}

// PostDone is a post as the platform has it.
type PostDone struct {
	PostID      string
	URL         string
	PublishedAt time.Time
}

// PublishPost calls the platform once with the post's idempotency key and
// records the post it returns. Errors are typed (ErrPostRateLimited,
// ErrPostRejected, ErrPostOutcomeUnknown) and never retried here: after a
// timeout only a lookup can tell whether the post exists.
func (a *Publishing) PublishPost(ctx context.Context, in PostCall) (PostDone, error) {
	row, err := db.PostByID(ctx, a.DB, uuid.MustParse(in.RowID))
	if err != nil {
		return PostDone{}, err
	}
	text, err := db.PostTextOf(ctx, a.DB, row.ContentVersionID)
	if err != nil {
		return PostDone{}, err
	}
	if err := db.CountPostAttempt(ctx, a.DB, row.ID); err != nil {
		return PostDone{}, err
	}
	var pub social.Published
	err = a.withToken(ctx, row.SocialAccountID, func(ctx context.Context, p social.Platform, token string) (err error) {
		pub, err = p.Publish(ctx, token, social.Post{IdempotencyKey: row.IdempotencyKey, Text: postText(text), MediaURLs: text.MediaURLs})
		return err
	})
	if err != nil {
		return PostDone{}, publishError(err)
	}
	done := PostDone{PostID: pub.PostID, URL: pub.URL, PublishedAt: pub.PublishedAt}
	return done, a.RecordPost(ctx, RecordPostInput{RowID: in.RowID, Post: done})
}

// PostLookup is what LookupPost learned: Found and the post, or that the
// platform has no post with the key.
type PostLookup struct {
	Found bool
	Post  PostDone
}

// LookupPost asks the platform for the post published with the row's
// idempotency key. An error means the answer is unknown.
func (a *Publishing) LookupPost(ctx context.Context, in PostCall) (PostLookup, error) {
	row, err := db.PostByID(ctx, a.DB, uuid.MustParse(in.RowID))
	if err != nil {
		return PostLookup{}, err
	}
	var out PostLookup
	err = a.withToken(ctx, row.SocialAccountID, func(ctx context.Context, p social.Platform, token string) error {
		pub, found, err := p.LookupPost(ctx, token, row.IdempotencyKey)
		out = PostLookup{Found: found, Post: PostDone{PostID: pub.PostID, URL: pub.URL, PublishedAt: pub.PublishedAt}}
		return err
	})
	if err != nil {
		return PostLookup{}, fmt.Errorf("look up post %s: %w", row.IdempotencyKey, err)
	}
	return out, nil
}

// RecordPostInput is a post the platform confirmed.
type RecordPostInput struct {
	RowID string
	Post  PostDone
}

// RecordPost marks the row published with the platform's post.
func (a *Publishing) RecordPost(ctx context.Context, in RecordPostInput) error {
	at := in.Post.PublishedAt
	if at.IsZero() {
		at = a.Now()
	}
	return db.RecordPostPublished(ctx, a.DB, uuid.MustParse(in.RowID), in.Post.PostID, in.Post.URL, at)
}

// MarkPostInput settles a post that was not published: Status is
// enums.PostFailed or enums.PostNeedsAttention.
type MarkPostInput struct {
	RowID  string
	Status string
	Reason string
}

// MarkPost records a post as failed or needing attention, with the reason.
func (a *Publishing) MarkPost(ctx context.Context, in MarkPostInput) error {
	return db.MarkPostUnpublished(ctx, a.DB, uuid.MustParse(in.RowID), in.Status, in.Reason)
}

// publishError turns a platform error into the typed error the workflow
// branches on.
func publishError(err error) error {
	if rl, ok := social.AsRateLimited(err); ok {
		return temporal.NewApplicationErrorWithOptions(err.Error(), ErrPostRateLimited,
			temporal.ApplicationErrorOptions{NonRetryable: true, Details: []any{rl.RetryAfter}})
	}
	if errors.Is(err, social.ErrRejected) {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrPostRejected, nil)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrPostOutcomeUnknown, nil)
}

// postText is the text a version posts: its caption (or, without one, its
// title, then its body) followed by its hashtags.
func postText(t db.PostText) string {
	text := t.Caption
	for _, alt := range []string{t.Title, t.Body} {
		if text == "" {
			text = alt
		}
	}
	tags := make([]string, 0, len(t.Hashtags))
	for _, h := range t.Hashtags {
		if h = strings.TrimSpace(h); h != "" {
			tags = append(tags, "#"+strings.TrimPrefix(h, "#"))
		}
	}
	return strings.TrimSpace(text + " " + strings.Join(tags, " "))
}

// FinishPublishingInput is a publishing run's outcome to record.
type FinishPublishingInput struct {
	OrganizationID string
	ContentID      string
	Version        int
	AuthorUserID   string
	Title          string
	// Status is enums.ContentPublished, ContentPartiallyPublished or
	// ContentFailed; Published of Total targets are posted.
	Status    string
	Published int
	Total     int
}

// FinishPublishing sets the content's status to the run's outcome, tells
// the author and writes the audit row, in one transaction. A repeat (the
// content no longer publishing) changes nothing and tells no one again.
func (a *Publishing) FinishPublishing(ctx context.Context, in FinishPublishingInput) error {
	contentID, orgID := uuid.MustParse(in.ContentID), uuid.MustParse(in.OrganizationID)
	return a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		changed, err := db.FinishContentPublishing(ctx, tx, contentID, in.Status)
		if err != nil || !changed {
			return err
		}
		title, body := publishNotice(in)
		if err := db.Notify(ctx, tx, &db.Notification{RecipientUserID: uuid.MustParse(in.AuthorUserID), OrganizationID: &orgID,
			Type: "content", Title: title, Message: body, ReferenceType: "content", ReferenceID: in.ContentID}); err != nil {
			return err
		}
		return db.WriteAudit(ctx, tx, &db.AuditLog{OrganizationID: &orgID, ObjectType: "content", ObjectID: in.ContentID,
			Action: "publish", RequestID: "workflow", Payload: map[string]any{"version": in.Version, "status": in.Status,
				"published": in.Published, "targets": in.Total}})
	})
}

// publishNotice is what the author reads about a run's outcome.
func publishNotice(in FinishPublishingInput) (title, body string) {
	body = fmt.Sprintf("%d of %d posts published (version %d).", in.Published, in.Total, in.Version)
	switch in.Status {
	case enums.ContentPublished:
		return "Published: " + in.Title, body
	case enums.ContentPartiallyPublished:
		return "Partly published: " + in.Title, body + " Retry the failed ones from the content page."
	default:
		return "Publishing failed: " + in.Title, body + " Retry from the content page."
	}
}

// withToken runs call against the account's platform with a valid access
// token, refreshing it first when it has expired, and once more when the
// platform says it expired (nothing was done then). The call gets the
// activity's deadline less callMargin.
func (a *Publishing) withToken(ctx context.Context, accountID uuid.UUID,
	call func(ctx context.Context, p social.Platform, token string) error) error {
	acct, err := db.SocialAccountForPosting(ctx, a.DB, accountID, false)
	if err != nil {
		return err
	}
	if !acct.IsActive {
		return fmt.Errorf("%w: the %s account was disconnected: connect it again", social.ErrRejected, acct.Platform)
	}
	p, err := a.Platforms.Get(acct.Platform)
	if err != nil {
		return fmt.Errorf("%w: %w", social.ErrRejected, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-callMargin))
		defer cancel()
	}
	token, err := a.accessToken(ctx, p, acct, false)
	if err != nil {
		return err
	}
	err = call(ctx, p, token)
	if !errors.Is(err, social.ErrTokenExpired) {
		return err
	}
	if token, err = a.accessToken(ctx, p, acct, true); err != nil {
		return err
	}
	return call(ctx, p, token)
}

// tokenRefreshAhead refreshes a token this long before it expires, so it
// does not expire during the call.
const tokenRefreshAhead = time.Minute

// accessToken opens the account's access token, or refreshes it through
// the platform when it expires soon (or force is set) and stores the new
// sealed tokens. The refresh holds the account's row lock: refresh tokens
// rotate, so two runs must not spend the same one.
func (a *Publishing) accessToken(ctx context.Context, p social.Platform, acct *db.SocialAccount, force bool) (string, error) {
	if !force && !expiresSoon(acct, a.Now()) {
		return a.open(acct.AccessTokenCiphertext, acct, db.SocialAccessToken)
	}
	var token string
	err := a.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		locked, err := db.SocialAccountForPosting(ctx, tx, acct.ID, true)
		if err != nil {
			return err
		}
		refreshedMeanwhile := string(locked.AccessTokenCiphertext) != string(acct.AccessTokenCiphertext)
		if refreshedMeanwhile && !expiresSoon(locked, a.Now()) {
			token, err = a.open(locked.AccessTokenCiphertext, locked, db.SocialAccessToken)
			return err
		}
		token, err = a.refresh(ctx, tx, p, locked)
		return err
	})
	return token, err
}

// refresh trades the account's refresh token for new tokens and stores
// them sealed.
func (a *Publishing) refresh(ctx context.Context, tx bun.Tx, p social.Platform, acct *db.SocialAccount) (string, error) {
	if len(acct.RefreshTokenCiphertext) == 0 {
		return "", fmt.Errorf("%w: the %s token expired and cannot be refreshed: connect the account again", social.ErrRejected, acct.Platform)
	}
	refreshToken, err := a.open(acct.RefreshTokenCiphertext, acct, db.SocialRefreshToken)
	if err != nil {
		return "", err
	}
	grant, err := p.RefreshToken(ctx, refreshToken)
	if err != nil {
		return "", fmt.Errorf("refresh %s token: %w", acct.Platform, err)
	}
	access, keyID := a.Tokens.Seal([]byte(grant.AccessToken), accountTokenAAD(acct, db.SocialAccessToken))
	refreshed, refreshKeyID := a.Tokens.Seal([]byte(grant.RefreshToken), accountTokenAAD(acct, db.SocialRefreshToken))
	if refreshKeyID != keyID { // the key rotated between the two seals
		return "", fmt.Errorf("sealed the tokens under two keys (%s, %s): try again", keyID, refreshKeyID)
	}
	expires := grant.ExpiresAt
	acct.AccessTokenCiphertext, acct.RefreshTokenCiphertext, acct.TokenKeyID, acct.TokenExpiresAt = access, refreshed, keyID, &expires
	return grant.AccessToken, db.SaveRefreshedSocialTokens(ctx, tx, acct)
}

func (a *Publishing) open(ciphertext []byte, acct *db.SocialAccount, kind string) (string, error) {
	plain, err := a.Tokens.Open(ciphertext, acct.TokenKeyID, accountTokenAAD(acct, kind))
	if err != nil {
		return "", fmt.Errorf("open token of social account %s: %w", acct.ID, err)
	}
	return string(plain), nil
}

func expiresSoon(acct *db.SocialAccount, now time.Time) bool {
	return acct.TokenExpiresAt != nil && !now.Add(tokenRefreshAhead).Before(*acct.TokenExpiresAt)
}

// accountTokenAAD is what acct's token of kind is sealed with.
func accountTokenAAD(acct *db.SocialAccount, kind string) []byte {
	return db.SocialTokenAAD(acct.OrganizationID, acct.Platform, acct.PlatformUserID, kind)
}
