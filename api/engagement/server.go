// Package engagement serves convene.engagement.v1, the engagement core of
// issue 11: points and leaderboards (PointsService), badges
// (BadgeService), the rules engine (RulesService), peer recognition
// (RecognitionService), teams, channels and challenges (TeamService),
// learning paths and quizzes (LearningService) and recurring activities
// (ActivityService).
//
// Points change only through db.PointsLedger.Award; badges and domain
// events are recorded through internal/engagement, so the API, the rules
// job and the workflows' activities write them one way.
package engagement

import (
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"go.temporal.io/sdk/client"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/engagement"
	"github.com/convene/convene/internal/tickets"
)

// Deps is what the engagement handlers use. Every field is required.
type Deps struct {
	DB *db.DB
	// Temporal runs the team-challenge workflows.
	Temporal client.Client
	// River inserts, in the transaction of the rows, the jobs that follow
	// them (rule evaluation, workflow starts that must not be lost).
	River *river.Client[*sql.Tx]
	// TaskQueue is where the engagement workflows run.
	TaskQueue string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// Tickets signs the free tickets of activity RSVPs.
	Tickets *tickets.Keys
}

// recorder writes domain events and badge awards in a handler's
// transaction.
func (d Deps) recorder() engagement.Recorder { return engagement.Recorder{River: d.River} }

// Domain lists the engagement services for the server to mount, one line
// per service (each built in its topic's file).
func Domain(d Deps) rpc.Domain {
	return rpc.Domain{Services: []rpc.Service{
		learningService(d),
		pointsService(d),
		badgeService(d),
		recognitionService(d),
		rulesService(d),
		teamsService(d),
		activityService(d),
	}}
}
