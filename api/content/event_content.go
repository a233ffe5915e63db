package content

// EventContentService: what content about an event draws on. Changes are
// for owners and admins of the event's organization (the social profile
// also for the event's host); reads for its members. An event the caller
// cannot see is NotFound.

import (
	"context"
	"errors"
	"slices"
	"strings"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	contentv1 "github.com/convene/convene/proto/convene/content/v1"
)

// defaultDelegatePage is SearchDelegates' page size when none is asked.
const defaultDelegatePage = 50

// eventAccess is the caller's right to act on an event's content:
// changes (owners and admins, and the host when host is set) or reads
// (any member).
type eventAccess struct {
	allowed []string
	host    bool
}

var (
	eventReader  = eventAccess{allowed: rpc.AnyRole}
	eventManager = eventAccess{allowed: rpc.ManagerRoles}
	eventProfile = eventAccess{allowed: rpc.ManagerRoles, host: true}
)

// eventFor returns the event if the caller has access to it. An event of
// no organization has no delegates, phases or sentiment: only its host may
// set its profile.
func (acc eventAccess) eventFor(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (*db.Event, error) {
	hidden := connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	ev, err := db.EventByID(ctx, idb, eventID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, hidden
	}
	if err != nil {
		return nil, err
	}
	isHost := ev.HostUserID == rpc.CallerID(ctx)
	if acc.host && isHost {
		return ev, nil
	}
	if ev.OrganizationID == nil {
		if isHost {
			return nil, connect.NewError(connect.CodeFailedPrecondition, errors.New("event_id: the event belongs to no organization"))
		}
		return nil, hidden
	}
	if err := orgRoleOrHidden(ctx, idb, *ev.OrganizationID, acc.allowed); err != nil {
		return nil, err
	}
	return ev, nil
}

// orgRoleOrHidden checks the caller holds one of allowed in the organization:
// NotFound for a non-member (other organizations' rows are invisible),
// PermissionDenied for a member with too low a role.
func orgRoleOrHidden(ctx context.Context, idb bun.IDB, orgID uuid.UUID, allowed []string) error {
	role, err := rpc.OrgAccess(ctx, idb, orgID, rpc.AnyRole)
	if err != nil {
		return connect.NewError(connect.CodeNotFound, errors.New("not found"))
	}
	if role != rpc.StaffRole && !slices.Contains(allowed, role) {
		return connect.NewError(connect.CodePermissionDenied, errors.New("only an owner or admin of the organization can change this"))
	}
	return nil
}

// SetEventSocialProfile replaces an event's social handles and hashtags.
func (s *eventContentServer) SetEventSocialProfile(ctx context.Context, req *connect.Request[contentv1.SetEventSocialProfileRequest]) (*connect.Response[contentv1.SetEventSocialProfileResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	p := db.EventSocialProfile{EventID: uuid.MustParse(msg.GetEventId()), SocialHandles: msg.GetSocialHandles(),
		OfficialHashtags: msg.GetOfficialHashtags()}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := eventProfile.eventFor(ctx, tx, p.EventID)
		if err != nil {
			return err
		}
		if err := db.SetEventSocialProfile(ctx, tx, p); err != nil {
			return err
		}
		if p, err = db.EventSocialProfileOf(ctx, tx, p.EventID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, ev.OrganizationID, "event", ev.ID.String(), "set_social_profile",
			map[string]any{"social_handles": p.SocialHandles, "official_hashtags": p.OfficialHashtags})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.SetEventSocialProfileResponse{EventId: p.EventID.String(),
		SocialHandles: p.SocialHandles, OfficialHashtags: p.OfficialHashtags}), nil
}

// CreateDelegate adds a delegate to an event of the caller's organization.
func (s *eventContentServer) CreateDelegate(ctx context.Context, req *connect.Request[contentv1.CreateDelegateRequest]) (*connect.Response[contentv1.CreateDelegateResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	d := &db.Delegate{EventID: uuid.MustParse(msg.GetEventId()), Title: msg.GetTitle(), FirstName: msg.GetFirstName(),
		LastName: msg.GetLastName(), Designation: msg.GetDesignation(), OrganizationName: msg.GetOrganizationName(),
		Country: msg.GetCountry(), DelegateType: delegateTypeName(msg.GetDelegateType()), VIPTier: int(msg.GetVipTier()),
		AutoTag: msg.GetAutoTag()}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := eventManager.eventFor(ctx, tx, d.EventID)
		if err != nil {
			return err
		}
		d.OrganizationID = *ev.OrganizationID
		if err := db.InsertDelegate(ctx, tx, d); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &d.OrganizationID, "delegate", d.ID.String(), "create",
			map[string]any{"event_id": d.EventID, "vip_tier": d.VIPTier, "delegate_type": d.DelegateType})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreateDelegateResponse{Delegate: delegateToProto(d)}), nil
}

// UpdateDelegate changes the fields the request sets.
func (s *eventContentServer) UpdateDelegate(ctx context.Context, req *connect.Request[contentv1.UpdateDelegateRequest]) (*connect.Response[contentv1.UpdateDelegateResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	var d *db.Delegate
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
		d, err = db.DelegateForUpdate(ctx, tx, uuid.MustParse(msg.GetDelegateId()))
		if errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("delegate not found"))
		}
		if err != nil {
			return err
		}
		if err := orgRoleOrHidden(ctx, tx, d.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		changed := applyDelegateUpdate(d, msg)
		if err := db.UpdateDelegate(ctx, tx, d); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &d.OrganizationID, "delegate", d.ID.String(), "update", map[string]any{"fields": changed})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.UpdateDelegateResponse{Delegate: delegateToProto(d)}), nil
}

// applyDelegateUpdate sets the fields msg carries and names them.
func applyDelegateUpdate(d *db.Delegate, msg *contentv1.UpdateDelegateRequest) []string {
	var changed []string
	set := func(name string, has bool, apply func()) {
		if has {
			apply()
			changed = append(changed, name)
		}
	}
	set("title", msg.Title != nil, func() { d.Title = msg.GetTitle() })
	set("first_name", msg.FirstName != nil, func() { d.FirstName = msg.GetFirstName() })
	set("last_name", msg.LastName != nil, func() { d.LastName = msg.GetLastName() })
	set("designation", msg.Designation != nil, func() { d.Designation = msg.GetDesignation() })
	set("organization_name", msg.OrganizationName != nil, func() { d.OrganizationName = msg.GetOrganizationName() })
	set("country", msg.Country != nil, func() { d.Country = msg.GetCountry() })
	set("delegate_type", msg.DelegateType != nil, func() { d.DelegateType = delegateTypeName(msg.GetDelegateType()) })
	set("vip_tier", msg.VipTier != nil, func() { d.VIPTier = int(msg.GetVipTier()) })
	set("auto_tag", msg.AutoTag != nil, func() { d.AutoTag = msg.GetAutoTag() })
	return changed
}

// SearchDelegates pages through an event's delegates: best match first
// for a query, else by last name.
func (s *eventContentServer) SearchDelegates(ctx context.Context, req *connect.Request[contentv1.SearchDelegatesRequest]) (*connect.Response[contentv1.SearchDelegatesResponse], error) {
	msg := req.Msg
	page, err := rpc.NamePage("SearchDelegates", msg.GetPageToken(), msg.GetPageSize(), defaultDelegatePage)
	if err != nil {
		return nil, err
	}
	search := db.DelegateSearch{EventID: uuid.MustParse(msg.GetEventId()), Query: strings.TrimSpace(msg.GetQuery()),
		MinVIPTier: int(msg.GetMinVipTier()), AfterKey: page.LastKey, AfterID: page.LastID, Limit: page.Limit()}
	if _, err := eventReader.eventFor(ctx, s.DB, search.EventID); err != nil {
		return nil, err
	}
	rows, err := db.SearchDelegates(ctx, s.DB, search)
	if errors.Is(err, db.ErrBadPageKey) {
		return nil, rpc.InvalidField("page_token", "not a token returned by SearchDelegates with this query")
	}
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.RankedDelegate) (string, uuid.UUID) {
		if search.Query != "" {
			return db.DelegateRankKey(r.Rank), r.ID
		}
		return r.LastName, r.ID
	})
	out := &contentv1.SearchDelegatesResponse{NextPageToken: next}
	for i := range rows {
		out.Delegates = append(out.Delegates, delegateToProto(&rows[i].Delegate))
	}
	return connect.NewResponse(out), nil
}

// CreatePhase adds a phase; one overlapping another of the event is
// refused by the database's exclusion constraint.
func (s *eventContentServer) CreatePhase(ctx context.Context, req *connect.Request[contentv1.CreatePhaseRequest]) (*connect.Response[contentv1.CreatePhaseResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	p := &db.EventPhase{EventID: uuid.MustParse(msg.GetEventId()), Name: msg.GetName(),
		StartsAt: msg.GetStartsAt().AsTime(), EndsAt: msg.GetEndsAt().AsTime()}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ev, err := eventManager.eventFor(ctx, tx, p.EventID)
		if err != nil {
			return err
		}
		p.OrganizationID = *ev.OrganizationID
		err = db.InsertPhase(ctx, tx, p)
		if errors.Is(err, db.ErrPhaseOverlaps) {
			return connect.NewError(connect.CodeFailedPrecondition,
				errors.New("starts_at, ends_at: the period overlaps another phase of the event"))
		}
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &p.OrganizationID, "event_phase", p.ID.String(), "create",
			map[string]any{"event_id": p.EventID, "name": p.Name, "starts_at": p.StartsAt, "ends_at": p.EndsAt})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&contentv1.CreatePhaseResponse{Phase: phaseToProto(p)}), nil
}

// ListPhases returns an event's phases in time order.
func (s *eventContentServer) ListPhases(ctx context.Context, req *connect.Request[contentv1.ListPhasesRequest]) (*connect.Response[contentv1.ListPhasesResponse], error) {
	eventID := uuid.MustParse(req.Msg.GetEventId())
	if _, err := eventReader.eventFor(ctx, s.DB, eventID); err != nil {
		return nil, err
	}
	phases, err := db.PhasesOf(ctx, s.DB, eventID)
	if err != nil {
		return nil, err
	}
	out := &contentv1.ListPhasesResponse{}
	for i := range phases {
		out.Phases = append(out.Phases, phaseToProto(&phases[i]))
	}
	return connect.NewResponse(out), nil
}

// GetSentimentSummary sums the analysed comments on an event's posts or
// on one post, commented in the range.
func (s *eventContentServer) GetSentimentSummary(ctx context.Context, req *connect.Request[contentv1.GetSentimentSummaryRequest]) (*connect.Response[contentv1.GetSentimentSummaryResponse], error) {
	msg := req.Msg
	f, err := s.sentimentFilter(ctx, msg)
	if err != nil {
		return nil, err
	}
	if msg.GetFrom() != nil {
		f.From = msg.GetFrom().AsTime()
	}
	if msg.GetTo() != nil {
		f.To = msg.GetTo().AsTime()
	}
	sum, err := db.SummarizeSentiment(ctx, s.DB, f)
	if err != nil {
		return nil, err
	}
	out := &contentv1.GetSentimentSummaryResponse{AverageScoreBps: int32(sum.AverageScoreBps),
		Counts: &contentv1.SentimentCounts{Positive: sum.Positive, Neutral: sum.Neutral, Negative: sum.Negative}}
	for _, k := range sum.TopKeywords {
		out.TopKeywords = append(out.TopKeywords, &contentv1.KeywordCount{Keyword: k.Keyword, Count: k.Count})
	}
	return connect.NewResponse(out), nil
}

// sentimentFilter is the summary's subject, once the caller may read it.
func (s *eventContentServer) sentimentFilter(ctx context.Context, msg *contentv1.GetSentimentSummaryRequest) (db.SentimentFilter, error) {
	if id := msg.GetPublishedPostId(); id != "" {
		post, err := db.PostByID(ctx, s.DB, uuid.MustParse(id))
		if errors.Is(err, db.ErrNotFound) {
			return db.SentimentFilter{}, connect.NewError(connect.CodeNotFound, errors.New("post not found"))
		}
		if err != nil {
			return db.SentimentFilter{}, err
		}
		if err := orgRoleOrHidden(ctx, s.DB, post.OrganizationID, rpc.AnyRole); err != nil {
			return db.SentimentFilter{}, err
		}
		return db.SentimentFilter{OrganizationID: post.OrganizationID, PublishedPostID: &post.ID}, nil
	}
	ev, err := eventReader.eventFor(ctx, s.DB, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return db.SentimentFilter{}, err
	}
	return db.SentimentFilter{OrganizationID: *ev.OrganizationID, EventID: &ev.ID}, nil
}

// delegateTypeName is the stored name of a delegate type
// (DELEGATE_TYPE_SPEAKER → "speaker").
func delegateTypeName(t contentv1.DelegateType) string {
	return strings.ToLower(strings.TrimPrefix(t.String(), "DELEGATE_TYPE_"))
}

// delegateTypeOf inverts delegateTypeName; UNSPECIFIED for a name the API
// does not know.
func delegateTypeOf(name string) contentv1.DelegateType {
	return contentv1.DelegateType(contentv1.DelegateType_value["DELEGATE_TYPE_"+strings.ToUpper(name)])
}

func delegateToProto(d *db.Delegate) *contentv1.Delegate {
	return &contentv1.Delegate{Id: d.ID.String(), EventId: d.EventID.String(), Title: d.Title, FirstName: d.FirstName,
		LastName: d.LastName, Designation: d.Designation, OrganizationName: d.OrganizationName, Country: d.Country,
		DelegateType: delegateTypeOf(d.DelegateType), VipTier: int32(d.VIPTier), AutoTag: d.AutoTag,
		CreatedAt: timestamppb.New(d.CreatedAt)}
}

func phaseToProto(p *db.EventPhase) *contentv1.EventPhase {
	return &contentv1.EventPhase{Id: p.ID.String(), EventId: p.EventID.String(), Name: p.Name,
		StartsAt: timestamppb.New(p.StartsAt), EndsAt: timestamppb.New(p.EndsAt)}
}
