package onboarding

// The onboarding reads: one hire's onboarding, HR's dashboard and a
// person's own tasks. They read the database only.

import (
	"context"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
)

// onboardingsPageSize is a page of the dashboard or of a person's tasks
// when the request has none.
const onboardingsPageSize = 50

// GetOnboarding returns the hire's open onboarding, else their latest, to
// the hire, the buddy, the manager and HR.
func (s *server) GetOnboarding(ctx context.Context, req *connect.Request[onboardingv1.GetOnboardingRequest]) (*connect.Response[onboardingv1.GetOnboardingResponse], error) {
	p, err := participantOf(ctx, s.DB, uuid.MustParse(req.Msg.GetUserId()))
	if err != nil {
		return nil, err
	}
	if !p.related() {
		return nil, errNotParticipant
	}
	out, err := s.detail(ctx, p.onboarding)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.GetOnboardingResponse{Onboarding: out}), nil
}

// ListOnboardings is HR's dashboard, most behind first.
func (s *server) ListOnboardings(ctx context.Context, req *connect.Request[onboardingv1.ListOnboardingsRequest]) (*connect.Response[onboardingv1.ListOnboardingsResponse], error) {
	m := req.Msg
	f := db.OnboardingFilter{OrganizationID: uuid.MustParse(m.GetOrganizationId()), Status: onboardingStatuses.Name(m.GetStatus()),
		BehindOnly: m.GetBehindOnly(), OfficeID: rpc.OptionalID(m.GetOfficeId()), ManagerUserID: rpc.OptionalID(m.GetManagerUserId())}
	page, err := rpc.TimePage("ListOnboardings", m.GetPageToken(), m.GetPageSize(), onboardingsPageSize)
	if err != nil {
		return nil, err
	}
	if _, err := hrAccess(ctx, s.DB, f.OrganizationID); err != nil {
		return nil, err
	}
	now := s.Now()
	rows, err := db.OnboardingDashboard(ctx, s.DB, f, now, page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.OnboardingDashboardRow) (time.Time, uuid.UUID) { return r.SortKey, r.ID })
	hires := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		hires = append(hires, r.UserID)
	}
	names, err := db.DisplayNames(ctx, s.DB, hires)
	if err != nil {
		return nil, err
	}
	cals := calendars{}
	out := &onboardingv1.ListOnboardingsResponse{NextPageToken: next}
	for i := range rows {
		cal, err := cals.of(ctx, s.DB, &rows[i].UserOnboarding)
		if err != nil {
			return nil, err
		}
		out.Onboardings = append(out.Onboardings, dashboardRowToProto(&rows[i], names, cal, now))
	}
	return connect.NewResponse(out), nil
}

// calendars caches the office calendars of one page, by office ("" for
// onboardings without one).
type calendars map[string]workcal.Calendar

func (c calendars) of(ctx context.Context, idb bun.IDB, uo *db.UserOnboarding) (workcal.Calendar, error) {
	key := rpc.IDString(uo.OfficeID)
	if cal, ok := c[key]; ok {
		return cal, nil
	}
	cal, err := db.OfficeCalendar(ctx, idb, uo.OrganizationID, uo.OfficeID)
	if err != nil {
		return workcal.Calendar{}, err
	}
	c[key] = cal
	return cal, nil
}

// ListMyOnboardingTasks pages through the caller's tasks in open
// onboardings, earliest due first.
func (s *server) ListMyOnboardingTasks(ctx context.Context, req *connect.Request[onboardingv1.ListMyOnboardingTasksRequest]) (*connect.Response[onboardingv1.ListMyOnboardingTasksResponse], error) {
	m := req.Msg
	page, err := rpc.TimePage("ListMyOnboardingTasks", m.GetPageToken(), m.GetPageSize(), onboardingsPageSize)
	if err != nil {
		return nil, err
	}
	rows, err := db.OnboardingTasksAssignedTo(ctx, s.DB, rpc.CallerID(ctx), rpc.OptionalID(m.GetOrganizationId()), m.GetIncludeClosed(),
		page.LastKey, page.LastID, page.Limit())
	if err != nil {
		return nil, err
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.MyOnboardingTask) (time.Time, uuid.UUID) { return r.DueAt, r.ID })
	hires := make([]uuid.UUID, 0, len(rows))
	for _, r := range rows {
		hires = append(hires, r.HireUserID)
	}
	names, err := db.DisplayNames(ctx, s.DB, hires)
	if err != nil {
		return nil, err
	}
	out := &onboardingv1.ListMyOnboardingTasksResponse{NextPageToken: next}
	for i := range rows {
		r := &rows[i]
		out.Tasks = append(out.Tasks, &onboardingv1.MyOnboardingTask{OrganizationId: r.OrganizationID.String(),
			HireUserId: r.HireUserID.String(), HireName: names[r.HireUserID], Task: taskToProto(&r.OnboardingTask)})
	}
	return connect.NewResponse(out), nil
}

// suggestionsDefault is how many buddy candidates SuggestBuddies returns
// when the request names no limit.
const suggestionsDefault = 5

// SuggestBuddies lists the colleagues eligible as the hire's buddy, best
// first, with their scores and reasons; HR only.
func (s *server) SuggestBuddies(ctx context.Context, req *connect.Request[onboardingv1.SuggestBuddiesRequest]) (*connect.Response[onboardingv1.SuggestBuddiesResponse], error) {
	p, err := openParticipantOf(ctx, s.DB, uuid.MustParse(req.Msg.GetUserId()), true)
	if err != nil {
		return nil, err
	}
	q := db.BuddyQueryOf(p.onboarding)
	q.Limit = int(req.Msg.GetLimit())
	if q.Limit == 0 {
		q.Limit = suggestionsDefault
	}
	candidates, err := db.SuggestBuddies(ctx, s.DB, q)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, 0, len(candidates))
	for _, c := range candidates {
		ids = append(ids, c.UserID)
	}
	names, err := db.DisplayNames(ctx, s.DB, ids)
	if err != nil {
		return nil, err
	}
	out := &onboardingv1.SuggestBuddiesResponse{}
	for _, c := range candidates {
		out.Suggestions = append(out.Suggestions, &onboardingv1.BuddySuggestion{UserId: c.UserID.String(), DisplayName: names[c.UserID],
			Score: int32(c.Score), Reasons: c.Reasons, ActiveMatches: int32(c.ActiveMatches)})
	}
	return connect.NewResponse(out), nil
}
