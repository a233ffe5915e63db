package content

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/providers/social"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// The SocialService (this file) connects accounts through OAuth: StartConnect
// stores the hash of a single-use state and sends the browser to the
// platform's consent page; the platform sends it back to
// GET /oauth/callback/{platform}, which spends the state, trades the code
// for tokens and stores the account with its tokens sealed (secretbox),
// bound to the organization, platform and account. No RPC returns a token.

// connectStateTTL is how long a StartConnect's state is accepted.
const connectStateTTL = 10 * time.Minute

// exchangeTimeout bounds the code exchange with the platform.
const exchangeTimeout = 15 * time.Second

// defaultPostPageSize is ListPublishedPosts' page size when none is asked.
const defaultPostPageSize = 50

// socialPostStatuses maps PublishStatus to published_posts.publish_status.
var socialPostStatuses = rpc.NewEnum(map[contentv1.PublishStatus]string{
	contentv1.PublishStatus_PUBLISH_STATUS_PUBLISHING:      enums.PostPublishing,
	contentv1.PublishStatus_PUBLISH_STATUS_PUBLISHED:       enums.PostPublished,
	contentv1.PublishStatus_PUBLISH_STATUS_FAILED:          enums.PostFailed,
	contentv1.PublishStatus_PUBLISH_STATUS_NEEDS_ATTENTION: enums.PostNeedsAttention,
})

// StartConnect answers the platform's consent URL with a fresh state.
func (s *socialServer) StartConnect(ctx context.Context, req *connect.Request[contentv1.StartConnectRequest]) (*connect.Response[contentv1.StartConnectResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.ManagerRoles); err != nil {
		return nil, err
	}
	platform, err := s.Social.Get(msg.GetPlatform())
	if err != nil {
		return nil, rpc.InvalidField("platform", fmt.Sprintf("%q is not offered; choose one of %s",
			msg.GetPlatform(), strings.Join(s.Social.Names(), ", ")))
	}
	eventID := rpc.OptionalID(msg.GetEventId())
	if err := s.checkEventOfOrg(ctx, orgID, eventID); err != nil {
		return nil, err
	}
	state := rand.Text()
	row := &db.SocialConnectState{ID: db.NewID(), OrganizationID: orgID, UserID: rpc.CallerID(ctx), EventID: eventID,
		Platform: platform.Name(), StateHash: stateHash(state), ExpiresAt: s.Now().Add(connectStateTTL)}
	if err := db.InsertSocialConnectState(ctx, s.DB, row); err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.StartConnectResponse{
		AuthorizeUrl:   platform.AuthorizeURL(state, s.callbackURL(platform.Name())),
		StateExpiresAt: timestamppb.New(row.ExpiresAt),
	}), nil
}

// checkEventOfOrg refuses an event that is not the organization's.
func (s *socialServer) checkEventOfOrg(ctx context.Context, orgID uuid.UUID, eventID *uuid.UUID) error {
	if eventID == nil {
		return nil
	}
	ev, err := db.EventByID(ctx, s.DB, *eventID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && (ev.OrganizationID == nil || *ev.OrganizationID != orgID)) {
		return rpc.InvalidField("event_id", "no such event in this organization")
	}
	return err
}

func (s *socialServer) callbackURL(platform string) string {
	return strings.TrimRight(s.PublicURL, "/") + "/oauth/callback/" + platform
}

// stateHash is what is stored of a state: whoever reads the table cannot
// complete someone else's connection.
func stateHash(state string) []byte {
	sum := sha256.Sum256([]byte(state))
	return sum[:]
}

// ListSocialAccounts lists the organization's accounts, without tokens.
func (s *socialServer) ListSocialAccounts(ctx context.Context, req *connect.Request[contentv1.ListSocialAccountsRequest]) (*connect.Response[contentv1.ListSocialAccountsResponse], error) {
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	rows, err := db.SocialAccountsOf(ctx, s.DB, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]*contentv1.SocialAccount, len(rows))
	for i := range rows {
		out[i] = socialAccountProto(&rows[i])
	}
	return connect.NewResponse(&contentv1.ListSocialAccountsResponse{SocialAccounts: out}), nil
}

// DisconnectSocialAccount deactivates an account and deletes its tokens.
func (s *socialServer) DisconnectSocialAccount(ctx context.Context, req *connect.Request[contentv1.DisconnectSocialAccountRequest]) (*connect.Response[contentv1.DisconnectSocialAccountResponse], error) {
	id := uuid.MustParse(req.Msg.GetSocialAccountId())
	acct, err := db.SocialAccountByID(ctx, s.DB, id)
	if err != nil {
		return nil, notFoundAs(err, "social account")
	}
	if err := rowAccess(ctx, s.DB, acct.OrganizationID, rpc.ManagerRoles, "social account"); err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if acct, err = db.DisconnectSocialAccount(ctx, tx, id, s.Now()); err != nil {
			return err
		}
		caller := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &caller, &acct.OrganizationID, "social_account", id.String(), "disconnect",
			map[string]any{"platform": acct.Platform, "username": acct.Username})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.DisconnectSocialAccountResponse{SocialAccount: socialAccountProto(acct)}), nil
}

// ListPublishedPosts pages through the organization's posts, newest first.
func (s *socialServer) ListPublishedPosts(ctx context.Context, req *connect.Request[contentv1.ListPublishedPostsRequest]) (*connect.Response[contentv1.ListPublishedPostsResponse], error) {
	msg := req.Msg
	orgID := uuid.MustParse(msg.GetOrganizationId())
	if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
		return nil, err
	}
	page, err := rpc.TimePage("ListPublishedPosts", msg.GetPageToken(), msg.GetPageSize(), defaultPostPageSize)
	if err != nil {
		return nil, err
	}
	filter := db.PostFilter{ContentID: rpc.OptionalID(msg.GetContentId()), Status: socialPostStatuses.Name(msg.GetStatus())}
	rows, err := db.PublishedPostsPage(ctx, s.DB, orgID, filter, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.PostRow) (time.Time, uuid.UUID) { return r.CreatedAt, r.ID })
	out := make([]*contentv1.PublishedPost, len(rows))
	for i := range rows {
		out[i] = publishedPostProto(&rows[i])
	}
	return connect.NewResponse(&contentv1.ListPublishedPostsResponse{PublishedPosts: out, NextPageToken: next}), nil
}

// GetPostMetrics returns a post with its latest metrics and their history.
func (s *socialServer) GetPostMetrics(ctx context.Context, req *connect.Request[contentv1.GetPostMetricsRequest]) (*connect.Response[contentv1.GetPostMetricsResponse], error) {
	id := uuid.MustParse(req.Msg.GetPublishedPostId())
	post, err := db.PublishedPostByID(ctx, s.DB, id)
	if err != nil {
		return nil, notFoundAs(err, "published post")
	}
	if err := rowAccess(ctx, s.DB, post.OrganizationID, rpc.AnyRole, "published post"); err != nil {
		return nil, err
	}
	series, err := db.RecentMetrics(ctx, s.DB, id)
	if err != nil {
		return nil, err
	}
	resp := &contentv1.GetPostMetricsResponse{Post: publishedPostProto(post), Series: make([]*contentv1.MetricsSample, len(series))}
	for i := range series {
		resp.Series[i] = metricsSampleProto(&series[i])
	}
	if n := len(resp.Series); n > 0 {
		resp.Latest = resp.Series[n-1]
	}
	return connect.NewResponse(resp), nil
}

// rowAccess checks the caller's role in the organization owning a row; a
// caller outside that organization is told the row does not exist.
func rowAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string, what string) error {
	_, err := rpc.OrgAccess(ctx, idb, orgID, allowed)
	if connect.CodeOf(err) != connect.CodePermissionDenied {
		return err
	}
	if _, merr := db.MemberRole(ctx, idb, orgID, rpc.CallerID(ctx)); errors.Is(merr, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
	}
	return err
}

// notFoundAs turns db.ErrNotFound into a Connect NotFound naming what.
func notFoundAs(err error, what string) error {
	if errors.Is(err, db.ErrNotFound) {
		return connect.NewError(connect.CodeNotFound, errors.New(what+" not found"))
	}
	return err
}

func socialAccountProto(a *db.SocialAccount) *contentv1.SocialAccount {
	out := &contentv1.SocialAccount{Id: a.ID.String(), OrganizationId: a.OrganizationID.String(),
		EventId: rpc.IDString(a.EventID), Platform: a.Platform, PlatformUserId: a.PlatformUserID,
		Username: a.Username, IsActive: a.IsActive, CreatedAt: timestamppb.New(a.CreatedAt)}
	if a.TokenExpiresAt != nil {
		out.TokenExpiresAt = timestamppb.New(*a.TokenExpiresAt)
	}
	return out
}

func publishedPostProto(p *db.PostRow) *contentv1.PublishedPost {
	out := &contentv1.PublishedPost{Id: p.ID.String(), ContentId: p.ContentID.String(), ContentVersion: int32(p.ContentVersion),
		SocialAccountId: p.SocialAccountID.String(), Platform: p.Platform, PlatformPostId: rpc.Deref(p.PlatformPostID),
		PlatformUrl: p.PlatformURL, Status: socialPostStatuses.Value(p.PublishStatus), Error: p.LastError,
		CreatedAt: timestamppb.New(p.CreatedAt)}
	if p.PublishedAt != nil {
		out.PublishedAt = timestamppb.New(*p.PublishedAt)
	}
	return out
}

func metricsSampleProto(m *db.EngagementMetric) *contentv1.MetricsSample {
	return &contentv1.MetricsSample{MeasuredAt: timestamppb.New(m.MeasuredAt), Metrics: &contentv1.EngagementMetrics{
		Impressions: m.Impressions, Reach: m.Reach, Likes: m.Likes, Comments: m.Comments, Shares: m.Shares,
		EngagementRateBps: int32(m.EngagementRateBps)}}
}

// socialRoutes are the OAuth callback and, in dev, the sandbox platforms'
// consent pages.
func socialRoutes(d Deps) []rpc.Route {
	routes := []rpc.Route{{Pattern: "GET /oauth/callback/{platform}", Handler: &oauthCallback{d}}}
	if d.SocialSandbox != nil {
		routes = append(routes, rpc.Route{Pattern: "/sandbox/social/", Handler: d.SocialSandbox.Routes()})
	}
	return routes
}

// oauthCallback is where a platform sends the browser back after consent:
// it spends the state, trades the code for tokens and stores the account.
type oauthCallback struct{ Deps }

func (h *oauthCallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	platform, err := h.Social.Get(r.PathValue("platform"))
	if err != nil {
		h.page(w, http.StatusNotFound, "Unknown platform", "Convene does not connect accounts on this platform.")
		return
	}
	q := r.URL.Query()
	state, err := db.UseSocialConnectState(r.Context(), h.DB, platform.Name(), stateHash(q.Get("state")), h.Now())
	if errors.Is(err, db.ErrNotFound) {
		h.page(w, http.StatusBadRequest, "Link expired", "This connection link expired or was already used: start again from Convene.")
		return
	}
	if err != nil {
		h.fail(w, "spend oauth state", err)
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		h.page(w, http.StatusBadRequest, "Not connected", "The "+platform.Name()+" account was not connected: consent was not given.")
		return
	}
	acct, err := h.connect(r.Context(), platform, state, q.Get("code"))
	switch {
	case errors.Is(err, social.ErrRejected), errors.Is(err, errNoLongerManager):
		h.page(w, http.StatusBadRequest, "Not connected", "The account was not connected: "+err.Error())
	case err != nil:
		h.fail(w, "connect social account", err)
	default:
		h.page(w, http.StatusOK, "Connected", "@"+acct.Username+" on "+acct.Platform+" is connected to Convene. You can close this window.")
	}
}

// errNoLongerManager: the person who started connecting lost the right to
// before consenting.
var errNoLongerManager = errors.New("you are no longer an owner or admin of the organization")

// connect trades the code for tokens and stores the account with them
// sealed, with its audit row, in one transaction.
func (h *oauthCallback) connect(ctx context.Context, platform social.Platform, st *db.SocialConnectState, code string) (*db.SocialAccount, error) {
	role, err := db.MemberRole(ctx, h.DB, st.OrganizationID, st.UserID)
	if err != nil || (role != db.RoleOwner && role != db.RoleAdmin) {
		return nil, errNoLongerManager
	}
	exCtx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	grant, err := platform.ExchangeCode(exCtx, code, h.callbackURL(platform.Name()))
	if err != nil {
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	acct := h.sealedAccount(st, platform.Name(), grant)
	err = h.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		created, err := db.UpsertSocialAccount(ctx, tx, acct)
		if err != nil {
			return err
		}
		action := "reconnect"
		if created {
			action = "connect"
		}
		return rpc.Audit(ctx, tx, &st.UserID, &st.OrganizationID, "social_account", acct.ID.String(), action,
			map[string]any{"platform": acct.Platform, "username": acct.Username})
	})
	return acct, err
}

// sealedAccount is the account row for grant, its tokens sealed.
func (h *oauthCallback) sealedAccount(st *db.SocialConnectState, platform string, g social.Grant) *db.SocialAccount {
	acct := &db.SocialAccount{ID: db.NewID(), OrganizationID: st.OrganizationID, EventID: st.EventID,
		ConnectedBy: &st.UserID, Platform: platform, PlatformUserID: g.Account.PlatformUserID,
		Username: g.Account.Username, IsActive: true}
	acct.AccessTokenCiphertext, acct.TokenKeyID = h.SocialTokens.Seal([]byte(g.AccessToken),
		db.SocialTokenAAD(st.OrganizationID, platform, g.Account.PlatformUserID, db.SocialAccessToken))
	if g.RefreshToken != "" {
		acct.RefreshTokenCiphertext, _ = h.SocialTokens.Seal([]byte(g.RefreshToken),
			db.SocialTokenAAD(st.OrganizationID, platform, g.Account.PlatformUserID, db.SocialRefreshToken))
	}
	if !g.ExpiresAt.IsZero() {
		acct.TokenExpiresAt = &g.ExpiresAt
	}
	return acct
}

func (h *oauthCallback) callbackURL(platform string) string {
	return strings.TrimRight(h.PublicURL, "/") + "/oauth/callback/" + platform
}

func (h *oauthCallback) fail(w http.ResponseWriter, what string, err error) {
	h.Log.Error("oauth callback failed", "step", what, "err", err)
	h.page(w, http.StatusBadGateway, "Not connected", "Something went wrong while connecting the account; try again.")
}

func (h *oauthCallback) page(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = callbackPage.Execute(w, struct{ Title, Message string }{title, message})
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · Convene</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto"><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))
