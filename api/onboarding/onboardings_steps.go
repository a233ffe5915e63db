package onboarding

// The steps of a running onboarding, each an Update of the hire's run:
// the API finds the onboarding and who the caller is to it (HR or not),
// checks what needs the database, and the workflow's validator decides
// who may act in which state. Each answers with the onboarding as stored
// after the step.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/workcal"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
	"github.com/convene/convene/workflows"
)

// step sends one Update to the hire's open onboarding and returns it as
// stored afterwards. arg builds the Update's argument from the caller's
// standing; hrOnly refuses anyone but HR before the workflow is asked.
func (s *server) step(ctx context.Context, hireID uuid.UUID, hrOnly bool, name string, arg func(participant) (any, error)) (*onboardingv1.Onboarding, error) {
	p, err := openParticipantOf(ctx, s.DB, hireID, hrOnly)
	if err != nil {
		return nil, err
	}
	a, err := arg(p)
	if err != nil {
		return nil, err
	}
	if err := s.update(ctx, hireID, name, a); err != nil {
		return nil, err
	}
	uo, err := db.OnboardingByID(ctx, s.DB, p.onboarding.ID, false)
	if err != nil {
		return nil, err
	}
	return s.detail(ctx, uo)
}

// CompleteTask marks a task done: its assignee or HR (the workflow
// decides); a check-in task only through SubmitCheckIn.
func (s *server) CompleteTask(ctx context.Context, req *connect.Request[onboardingv1.CompleteTaskRequest]) (*connect.Response[onboardingv1.CompleteTaskResponse], error) {
	m := req.Msg
	out, err := s.step(ctx, uuid.MustParse(m.GetUserId()), false, workflows.UpdateCompleteTask, func(p participant) (any, error) {
		return workflows.TaskCompletion{Actor: p.actor, TaskKey: m.GetTaskKey(), Note: m.GetNote()}, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.CompleteTaskResponse{Onboarding: out}), nil
}

// PauseOnboarding pauses the onboarding (HR or the manager); with until,
// it resumes by itself at the send window's opening on that day (the next
// business day when it is not one).
func (s *server) PauseOnboarding(ctx context.Context, req *connect.Request[onboardingv1.PauseOnboardingRequest]) (*connect.Response[onboardingv1.PauseOnboardingResponse], error) {
	m := req.Msg
	out, err := s.step(ctx, uuid.MustParse(m.GetUserId()), false, workflows.UpdatePauseOnboarding, func(p participant) (any, error) {
		pause := workflows.OnboardingPause{Actor: p.actor, Reason: m.GetReason()}
		if m.Until != nil {
			until, err := s.resumeTime(ctx, p.onboarding, m.GetUntil())
			if err != nil {
				return nil, err
			}
			pause.Until = &until
		}
		return pause, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.PauseOnboardingResponse{Onboarding: out}), nil
}

// resumeTime is when a pause until date ends: the window's opening on the
// first business day from date, which must be after today in the office.
func (s *server) resumeTime(ctx context.Context, uo *db.UserOnboarding, date string) (t time.Time, err error) {
	until, err := workcal.ParseDate(date)
	if err != nil {
		return t, rpc.InvalidField("until", "not a calendar date (YYYY-MM-DD)")
	}
	cal, err := db.OfficeCalendar(ctx, s.DB, uo.OrganizationID, uo.OfficeID)
	if err != nil {
		return t, err
	}
	if today := cal.DateOf(s.Now()); !until.After(today) {
		return t, rpc.InvalidField("until", fmt.Sprintf("must be after today (%s in the office's time zone)", today))
	}
	return cal.WindowOpen(cal.NextBusinessDay(until)), nil
}

// ResumeOnboarding resumes a paused onboarding (HR or the manager); its
// open dues and milestones move by the business days it was paused.
func (s *server) ResumeOnboarding(ctx context.Context, req *connect.Request[onboardingv1.ResumeOnboardingRequest]) (*connect.Response[onboardingv1.ResumeOnboardingResponse], error) {
	out, err := s.step(ctx, uuid.MustParse(req.Msg.GetUserId()), false, workflows.UpdateResumeOnboarding, func(p participant) (any, error) {
		return workflows.OnboardingResume{Actor: p.actor}, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.ResumeOnboardingResponse{Onboarding: out}), nil
}

// SubmitCheckIn records the manager's check-in of day 7 or 30, once the
// day is reached, once (the workflow decides).
func (s *server) SubmitCheckIn(ctx context.Context, req *connect.Request[onboardingv1.SubmitCheckInRequest]) (*connect.Response[onboardingv1.SubmitCheckInResponse], error) {
	m := req.Msg
	out, err := s.step(ctx, uuid.MustParse(m.GetUserId()), false, workflows.UpdateSubmitCheckIn, func(p participant) (any, error) {
		return workflows.CheckInSubmission{Actor: p.actor, Day: int(m.GetDay()), Rating: int(m.GetRating()), Comment: m.GetComment()}, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.SubmitCheckInResponse{Onboarding: out}), nil
}

// CancelOnboarding cancels an open onboarding; HR only.
func (s *server) CancelOnboarding(ctx context.Context, req *connect.Request[onboardingv1.CancelOnboardingRequest]) (*connect.Response[onboardingv1.CancelOnboardingResponse], error) {
	m := req.Msg
	out, err := s.step(ctx, uuid.MustParse(m.GetUserId()), true, workflows.UpdateCancelOnboarding, func(p participant) (any, error) {
		return workflows.OnboardingCancellation{Actor: p.actor, Reason: m.GetReason()}, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.CancelOnboardingResponse{Onboarding: out}), nil
}

// SetBuddy gives the hire another buddy; HR only. The hire, the manager,
// someone outside the organization or a past buddy of this hire is
// refused naming buddy_user_id.
func (s *server) SetBuddy(ctx context.Context, req *connect.Request[onboardingv1.SetBuddyRequest]) (*connect.Response[onboardingv1.SetBuddyResponse], error) {
	m := req.Msg
	buddyID := uuid.MustParse(m.GetBuddyUserId())
	out, err := s.step(ctx, uuid.MustParse(m.GetUserId()), true, workflows.UpdateReassignBuddy, func(p participant) (any, error) {
		if err := s.checkBuddy(ctx, p.onboarding, buddyID); err != nil {
			return nil, err
		}
		return workflows.BuddyReassignment{Actor: p.actor, BuddyUserID: buddyID.String(), Reason: m.GetReason()}, nil
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&onboardingv1.SetBuddyResponse{Onboarding: out}), nil
}

// checkBuddy refuses a buddy who is the hire or the manager, not a member
// of the organization, or this hire's buddy now or before.
func (s *server) checkBuddy(ctx context.Context, uo *db.UserOnboarding, buddyID uuid.UUID) error {
	switch buddyID {
	case uo.UserID:
		return rpc.InvalidField("buddy_user_id", "the hire cannot be their own buddy")
	case uo.ManagerUserID:
		return rpc.InvalidField("buddy_user_id", "the manager cannot be the buddy")
	}
	if _, err := db.MemberRole(ctx, s.DB, uo.OrganizationID, buddyID); errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField("buddy_user_id", "not a member of the organization")
	} else if err != nil {
		return err
	}
	was, err := db.WasBuddyOf(ctx, s.DB, uo.OrganizationID, uo.UserID, buddyID)
	if err != nil {
		return err
	}
	if was {
		return rpc.InvalidField("buddy_user_id", "already this hire's buddy, now or before")
	}
	return nil
}
