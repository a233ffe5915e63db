// Package onboarding serves convene.onboarding.v1.OnboardingService, the
// 30-day onboarding of issue 12: a hire's onboarding runs as the workflow
// onboarding/<user id> (workflows/onboarding_contract.go), which the
// handlers start with Update-with-Start and drive with Updates
// (onboardings*.go); the setup the workflow reads — task templates
// (templates.go), offices and their holiday calendars (offices.go) — is
// plain rows written here through db/.
//
// HR are the organization's owners and admins (rpc.ManagerRoles): they
// start, pause and cancel onboardings, set buddies, and alone manage
// templates, offices and holidays.
package onboarding

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/uptrace/bun"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	onboardingv1 "github.com/convene/convene/proto/convene/onboarding/v1"
	"github.com/convene/convene/proto/convene/onboarding/v1/onboardingv1connect"
)

// Deps is what the onboarding handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal runs the onboarding workflows.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the jobs that follow
	// them (workflow starts that must not be lost).
	River *river.Client[*sql.Tx]
	// TaskQueue is where the onboarding workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
}

// server implements convene.onboarding.v1.OnboardingService; each topic's
// file adds its RPCs. The embedded Unimplemented handler answers
// Unimplemented for an RPC no file has added yet.
type server struct {
	Deps
	onboardingv1connect.UnimplementedOnboardingServiceHandler
}

var _ onboardingv1connect.OnboardingServiceHandler = (*server)(nil)

// Domain lists the onboarding service for the server to mount.
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{Services: []rpc.Service{
		rpc.NewService[onboardingv1connect.OnboardingServiceHandler](onboardingv1connect.OnboardingServiceName, &server{Deps: d},
			onboardingv1connect.NewOnboardingServiceHandler),
	}}
}

// milestones maps the API's milestones to enums.Milestone*.
var milestones = rpc.NewEnum(map[onboardingv1.Milestone]string{
	onboardingv1.Milestone_MILESTONE_PREBOARDING: enums.MilestonePreboarding,
	onboardingv1.Milestone_MILESTONE_DAY1:        enums.MilestoneDay1,
	onboardingv1.Milestone_MILESTONE_DAY7:        enums.MilestoneDay7,
	onboardingv1.Milestone_MILESTONE_DAY14:       enums.MilestoneDay14,
	onboardingv1.Milestone_MILESTONE_DAY30:       enums.MilestoneDay30,
})

// assigneeRoles maps the API's assignee roles to enums.OnboardingRole*.
var assigneeRoles = rpc.NewEnum(map[onboardingv1.AssigneeRole]string{
	onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HIRE:    enums.OnboardingRoleHire,
	onboardingv1.AssigneeRole_ASSIGNEE_ROLE_BUDDY:   enums.OnboardingRoleBuddy,
	onboardingv1.AssigneeRole_ASSIGNEE_ROLE_MANAGER: enums.OnboardingRoleManager,
	onboardingv1.AssigneeRole_ASSIGNEE_ROLE_HR:      enums.OnboardingRoleHR,
})

// hrAccess admits HR of the organization (its owners and admins, and
// platform staff) and returns the caller's ID.
func hrAccess(ctx context.Context, idb bun.IDB, orgID uuid.UUID) (uuid.UUID, error) {
	_, err := rpc.OrgAccess(ctx, idb, orgID, rpc.ManagerRoles)
	return rpc.CallerID(ctx), err
}
