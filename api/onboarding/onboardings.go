package onboarding

// Onboardings: StartOnboarding and what every onboarding RPC shares (this
// file: who the caller is to an onboarding, sending an Update to its run,
// answering with it as stored), the reads (onboardings_read.go), the steps
// of a running onboarding (onboardings_steps.go) and the conversion to the
// API's messages (onboardings_convert.go).
//
// Reads and answers come from the database, not the workflow, so a closed
// onboarding stays readable; the workflow's Update handlers write their
// rows before they answer, so the row read after an Update is its result.

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
	"github.com/convene/convene/workflows"
)

// errAlreadyOnboarding answers a start for someone whose onboarding is open.
var errAlreadyOnboarding = connect.NewError(connect.CodeAlreadyExists,
	errors.New("user_id: this person already has an open onboarding; cancel it first to start another"))

// errNotParticipant refuses someone who is not the hire, the buddy, the
// manager or HR of the onboarding.
var errNotParticipant = connect.NewError(connect.CodePermissionDenied,
	errors.New("only the hire, the buddy, the manager and HR take part in this onboarding"))

// errNotHR refuses a step only HR takes.
var errNotHR = connect.NewError(connect.CodePermissionDenied, errors.New("only HR (the organization's owners and admins) may do this"))

// StartOnboarding checks the request against the organization, makes the
// hire a member if they are not one, and starts the hire's run with the
// start Update, which answers once the setup wrote the tasks and the buddy.
func (s *server) StartOnboarding(ctx context.Context, req *connect.Request[onboardingv1.StartOnboardingRequest]) (*connect.Response[onboardingv1.StartOnboardingResponse], error) {
	var in workflows.OnboardingInput
	if err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		in, err = s.checkStart(ctx, tx, req.Msg)
		return err
	}); err != nil {
		return nil, err
	}
	hireID := uuid.MustParse(in.UserID)
	if _, err := workflows.StartOnboarding(ctx, s.Temporal, s.TaskQueue, in); err != nil {
		return nil, s.startError(ctx, hireID, err)
	}
	out, err := s.onboardingOf(ctx, hireID)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.StartOnboardingResponse{Onboarding: out}), nil
}

// checkStart validates a start in tx and adds the hire as a member. It
// locks nothing: the setup transaction checks again what could change
// meanwhile (an open onboarding, the template). It returns the workflow's
// input with a new onboarding ID.
func (s *server) checkStart(ctx context.Context, tx bun.Tx, m *onboardingv1.StartOnboardingRequest) (workflows.OnboardingInput, error) {
	orgID, hireID, managerID := uuid.MustParse(m.GetOrganizationId()), uuid.MustParse(m.GetUserId()), uuid.MustParse(m.GetManagerUserId())
	callerID, err := hrAccess(ctx, tx, orgID)
	if err != nil {
		return workflows.OnboardingInput{}, err
	}
	hrID := callerID
	if m.HrUserId != nil {
		hrID = uuid.MustParse(m.GetHrUserId())
	}
	if err := checkPeople(ctx, tx, orgID, hireID, managerID, hrID); err != nil {
		return workflows.OnboardingInput{}, err
	}
	officeName, err := checkPlace(ctx, tx, orgID, rpc.OptionalID(m.GetOfficeId()), rpc.OptionalID(m.GetTeamId()))
	if err != nil {
		return workflows.OnboardingInput{}, err
	}
	if err := s.checkStartDate(ctx, tx, orgID, rpc.OptionalID(m.GetOfficeId()), m.GetStartDate()); err != nil {
		return workflows.OnboardingInput{}, err
	}
	if err := checkNotOnboarding(ctx, tx, hireID); err != nil {
		return workflows.OnboardingInput{}, err
	}
	if _, _, err := db.TemplateForHire(ctx, tx, orgID, m.GetRole()); errors.Is(err, db.ErrNoOnboardingTemplate) {
		return workflows.OnboardingInput{}, connect.NewError(connect.CodeFailedPrecondition,
			errors.New("the organization has no onboarding template for this role and no default one: create one first"))
	} else if err != nil {
		return workflows.OnboardingInput{}, err
	}
	hireName, err := ensureMember(ctx, tx, orgID, hireID, callerID)
	if err != nil {
		return workflows.OnboardingInput{}, err
	}
	return workflows.OnboardingInput{OnboardingID: db.NewID().String(), OrganizationID: orgID.String(), UserID: hireID.String(),
		StartDate: m.GetStartDate(), ManagerUserID: managerID.String(), HRUserID: hrID.String(), Role: m.GetRole(),
		OfficeID: m.GetOfficeId(), TeamID: m.GetTeamId(), ActorUserID: callerID.String(), HireName: hireName, OfficeName: officeName}, nil
}

// checkPeople checks the manager is a member other than the hire, the HR
// contact an owner or admin, and the hire a user.
func checkPeople(ctx context.Context, idb bun.IDB, orgID, hireID, managerID, hrID uuid.UUID) error {
	if managerID == hireID {
		return rpc.InvalidField("manager_user_id", "the manager cannot be the hire")
	}
	if _, err := db.MemberRole(ctx, idb, orgID, managerID); errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField("manager_user_id", "not a member of the organization")
	} else if err != nil {
		return err
	}
	if role, err := db.MemberRole(ctx, idb, orgID, hrID); errors.Is(err, db.ErrNotFound) || err == nil && !slices.Contains(rpc.ManagerRoles, role) {
		return rpc.InvalidField("hr_user_id", "the HR contact must be an owner or admin of the organization")
	} else if err != nil {
		return err
	}
	if hrID == hireID {
		return rpc.InvalidField("hr_user_id", "the HR contact cannot be the hire")
	}
	if _, err := db.UserByID(ctx, idb, hireID); errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField("user_id", "no such user")
	} else if err != nil {
		return err
	}
	return nil
}

// checkPlace checks the office and the team are the organization's and
// returns the office's name ("" without one).
func checkPlace(ctx context.Context, idb bun.IDB, orgID uuid.UUID, officeID, teamID *uuid.UUID) (string, error) {
	if teamID != nil {
		t, err := db.TeamByID(ctx, idb, *teamID)
		if errors.Is(err, db.ErrNotFound) || err == nil && t.OrganizationID != orgID {
			return "", rpc.InvalidField("team_id", "not a team of the organization")
		} else if err != nil {
			return "", err
		}
	}
	if officeID == nil {
		return "", nil
	}
	o, err := db.OfficeInOrg(ctx, idb, orgID, *officeID)
	if errors.Is(err, db.ErrNotFound) {
		return "", rpc.InvalidField("office_id", "not an office of the organization")
	}
	if err != nil {
		return "", err
	}
	return o.Name, nil
}

// checkStartDate refuses a date that is not one, or is before today in the
// office's time zone.
func (s *server) checkStartDate(ctx context.Context, idb bun.IDB, orgID uuid.UUID, officeID *uuid.UUID, date string) error {
	start, err := workcal.ParseDate(date)
	if err != nil {
		return rpc.InvalidField("start_date", "not a calendar date (YYYY-MM-DD)")
	}
	cal, err := db.OfficeCalendar(ctx, idb, orgID, officeID)
	if err != nil {
		return err
	}
	if today := cal.DateOf(s.Now()); start.Before(today) {
		return rpc.InvalidField("start_date", fmt.Sprintf("in the past: it is %s in the office's time zone", today))
	}
	return nil
}

// checkNotOnboarding refuses a hire whose onboarding is open, in any
// organization (the run's ID is the hire's).
func checkNotOnboarding(ctx context.Context, idb bun.IDB, hireID uuid.UUID) error {
	uo, err := db.OnboardingOfUser(ctx, idb, hireID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !enums.OnboardingClosed(uo.Status) {
		return errAlreadyOnboarding
	}
	return nil
}

// ensureMember makes the hire a member of the organization if they are not
// one (audited), and returns their display name.
func ensureMember(ctx context.Context, tx bun.Tx, orgID, hireID, actorID uuid.UUID) (string, error) {
	if err := addMemberIfMissing(ctx, tx, orgID, hireID, actorID); err != nil {
		return "", err
	}
	names, err := db.DisplayNames(ctx, tx, []uuid.UUID{hireID})
	if err != nil {
		return "", err
	}
	return names[hireID], nil
}

// addMemberIfMissing adds userID as a member under the organization's lock
// (as AddMember and AcceptInvitation take it), so two starts of the same
// new hire do not both insert.
func addMemberIfMissing(ctx context.Context, tx bun.Tx, orgID, userID, actorID uuid.UUID) error {
	_, err := db.MemberRole(ctx, tx, orgID, userID)
	if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err := db.LockOrganization(ctx, tx, orgID); err != nil {
		return err
	}
	if _, err := db.MemberRole(ctx, tx, orgID, userID); !errors.Is(err, db.ErrNotFound) {
		return err
	}
	if err := db.InsertMember(ctx, tx, &db.Member{ID: db.NewID(), OrganizationID: orgID, UserID: userID,
		Role: db.RoleMember, AddedBy: &actorID}); err != nil {
		return err
	}
	return rpc.Audit(ctx, tx, &actorID, &orgID, "organization", orgID.String(), "add_member",
		map[string]any{"user_id": userID.String(), "role": db.RoleMember, "reason": "onboarding"})
}

// startError is what a failed start answers: an open run of the hire, or
// a setup that found the hire onboarding meanwhile, is AlreadyExists; a
// setup refusal its Connect code.
func (s *server) startError(ctx context.Context, hireID uuid.UUID, err error) error {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return errAlreadyOnboarding
	}
	if checkErr := checkNotOnboarding(ctx, s.DB, hireID); checkErr != nil {
		return checkErr
	}
	return rpc.UpdateError(err, "the onboarding could not start", "start onboarding")
}

// participant is the caller's standing in one onboarding.
type participant struct {
	onboarding *db.UserOnboarding
	actor      workflows.Actor
}

// related reports whether the caller may read the onboarding: its hire,
// buddy, manager, or HR.
func (p participant) related() bool {
	uo, id := p.onboarding, p.actor.UserID
	return p.actor.IsHR || id == uo.UserID.String() || id == uo.ManagerUserID.String() || id == rpc.IDString(uo.BuddyUserID)
}

// participantOf loads the hire's onboarding (the open one, else the
// latest) and the caller's standing in it. Someone outside its
// organization is PermissionDenied; HR are its owners and admins (and
// platform staff).
func participantOf(ctx context.Context, idb bun.IDB, hireID uuid.UUID) (participant, error) {
	uo, err := db.OnboardingOfUser(ctx, idb, hireID)
	if errors.Is(err, db.ErrNotFound) {
		return participant{}, connect.NewError(connect.CodeNotFound, errors.New("user_id: this person has no onboarding"))
	}
	if err != nil {
		return participant{}, err
	}
	role, err := rpc.OrgAccess(ctx, idb, uo.OrganizationID, rpc.AnyRole)
	if err != nil {
		return participant{}, err
	}
	isHR := role == rpc.StaffRole || slices.Contains(rpc.ManagerRoles, role)
	return participant{onboarding: uo, actor: workflows.Actor{UserID: rpc.CallerID(ctx).String(), IsHR: isHR}}, nil
}

// openParticipantOf is participantOf for a step: the onboarding must be
// open, and the caller HR when hrOnly.
func openParticipantOf(ctx context.Context, idb bun.IDB, hireID uuid.UUID, hrOnly bool) (participant, error) {
	p, err := participantOf(ctx, idb, hireID)
	if err != nil {
		return participant{}, err
	}
	if hrOnly && !p.actor.IsHR {
		return participant{}, errNotHR
	}
	if !p.related() {
		return participant{}, errNotParticipant
	}
	if enums.OnboardingClosed(p.onboarding.Status) {
		return participant{}, connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("the onboarding is %s", p.onboarding.Status))
	}
	return p, nil
}

// update sends the Update name with arg to the hire's run and waits for
// its answer; a refusal is the Connect code of its type.
func (s *server) update(ctx context.Context, hireID uuid.UUID, name string, arg any) error {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.OnboardingWorkflowID(hireID.String()),
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	return rpc.UpdateError(err, "the onboarding has ended", "onboarding "+name)
}

// onboardingOf is the hire's onboarding as stored, with its tasks.
func (s *server) onboardingOf(ctx context.Context, hireID uuid.UUID) (*onboardingv1.Onboarding, error) {
	uo, err := db.OnboardingOfUser(ctx, s.DB, hireID)
	if err != nil {
		return nil, err
	}
	return s.detail(ctx, uo)
}

// detail is uo with its tasks, buddy and check-ins, its figures on its
// office's calendar.
func (s *server) detail(ctx context.Context, uo *db.UserOnboarding) (*onboardingv1.Onboarding, error) {
	d, err := db.OnboardingDetailOf(ctx, s.DB, uo)
	if err != nil {
		return nil, err
	}
	cal, err := db.OfficeCalendar(ctx, s.DB, uo.OrganizationID, uo.OfficeID)
	if err != nil {
		return nil, err
	}
	names, err := db.DisplayNames(ctx, s.DB, []uuid.UUID{uo.UserID})
	if err != nil {
		return nil, err
	}
	return detailToProto(d, names, cal, s.Now()), nil
}
