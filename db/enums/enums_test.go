package enums_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/db/enums"
	"github.com/convene/convene/db/migrations"
)

// TestVocabulariesMatchMigrations keeps each vocabulary equal to the CHECK
// constraint (or partial index) that enforces it in the schema: a value
// added on one side only fails here rather than at the first insert.
func TestVocabulariesMatchMigrations(t *testing.T) {
	t.Parallel()
	schema := upMigrations(t)
	cases := []struct {
		name   string
		clause string
		values []string
	}{
		{"request statuses", "CHECK (status IN (%s))", []string{enums.RequestPending, enums.RequestWaitlisted,
			enums.RequestOffered, enums.RequestAwaitingPayment, enums.RequestAccepted, enums.RequestDeclined,
			enums.RequestCancelled, enums.RequestExpired}},
		{"open request statuses", "event_requests_one_open_idx ON event_requests (event_id, requester_user_id)\n    WHERE status IN (%s);",
			enums.OpenRequestStatuses},
		{"attendee statuses", "CHECK (status IN (%s))", []string{enums.AttendeeGoing, enums.AttendeeCheckedIn, enums.AttendeeCancelled}},
		{"payment statuses", "CHECK (status IN (%s))", []string{enums.PaymentCreated, enums.PaymentPaid, enums.PaymentFailed,
			enums.PaymentExpired, enums.PaymentRefunded}},
		{"channels", "CHECK (channel IN (%s))", []string{enums.ChannelInApp, enums.ChannelPush, enums.ChannelEmail,
			enums.ChannelSMS, enums.ChannelTelegram}},
		{"job statuses", "CHECK (status IN (%s))", []string{enums.JobDraft, enums.JobScheduled, enums.JobRunning,
			enums.JobCompleted, enums.JobCancelled, enums.JobFailed}},
		{"item statuses", "CHECK (status IN (%s))", []string{enums.ItemPending, enums.ItemSent, enums.ItemFailed,
			enums.ItemSkipped, enums.ItemCancelled}},
		{"content statuses", "CHECK (workflow_status IN (%s))", []string{enums.ContentDraft, enums.ContentInReview,
			enums.ContentChangesRequested, enums.ContentApproved, enums.ContentRejected, enums.ContentScheduled,
			enums.ContentPublishing, enums.ContentPublished, enums.ContentPartiallyPublished, enums.ContentFailed,
			enums.ContentExpired, enums.ContentWithdrawn}},
		{"approval statuses", "CHECK (status IN (%s))", []string{enums.ApprovalPending, enums.ApprovalEscalated,
			enums.ApprovalApproved, enums.ApprovalRejected, enums.ApprovalChangesRequested, enums.ApprovalSuperseded,
			enums.ApprovalWithdrawn, enums.ApprovalExpired}},
		{"approval actions", "CHECK (action IN (%s))", []string{enums.ActionApprove, enums.ActionReject,
			enums.ActionRequestChanges, enums.ActionEscalate, enums.ActionRemind}},
		{"quorums", "CHECK (quorum IN (%s))", []string{enums.QuorumAny, enums.QuorumAll, enums.QuorumN}},
		{"assignment statuses", "CHECK (status IN (%s))", []string{enums.AssignmentOpen, enums.AssignmentDone, enums.AssignmentClosed}},
		{"assignment reasons", "CHECK (reason IN (%s))", []string{enums.AssignedListed, enums.AssignedRole,
			enums.AssignedDelegate, enums.AssignedEscalation}},
		{"post statuses", "CHECK (publish_status IN (%s))", []string{enums.PostPublishing, enums.PostPublished,
			enums.PostFailed, enums.PostNeedsAttention}},
		{"media statuses", "CHECK (processing_status IN (%s))", []string{enums.MediaPending, enums.MediaReady, enums.MediaFailed}},
		{"ledger types", "CHECK (type IN (%s))", []string{enums.LedgerRule, enums.LedgerBadge,
			enums.LedgerRecognitionSent, enums.LedgerRecognitionReceived, enums.LedgerRecognitionRefund, enums.LedgerModule,
			enums.LedgerPath, enums.LedgerChallenge, enums.LedgerQuest, enums.LedgerOnboarding, enums.LedgerActivity,
			enums.LedgerManual}},
		{"learning path statuses", "CHECK (status IN (%s))", []string{enums.PathDraft, enums.PathPublished, enums.PathArchived}},
		{"learning module kinds", "CHECK (kind IN (%s))", []string{enums.ModuleLesson, enums.ModuleQuiz}},
		{"learning progress statuses", "CHECK (status IN (%s))", []string{enums.ProgressEnrolled, enums.ProgressInProgress,
			enums.ProgressCompleted}},
		{"badge kinds", "CHECK (kind IN (%s))", []string{enums.BadgeFirst, enums.BadgeThreshold, enums.BadgeStreak,
			enums.BadgeManual}},
		{"recognition statuses", "CHECK (status IN (%s))", []string{enums.RecognitionPending, enums.RecognitionApproved,
			enums.RecognitionRejected, enums.RecognitionExpired}},
		{"recognition visibilities", "CHECK (visibility IN (%s))", []string{enums.RecognitionPublic, enums.RecognitionTeam,
			enums.RecognitionPrivate}},
		{"rule cap periods", "CHECK (cap_period IN (%s))", []string{enums.CapDay, enums.CapWeek, enums.CapMonth, enums.CapTotal}},
		{"rule outcomes", "CHECK (outcome IN (%s))", []string{enums.RuleFired, enums.RuleConditionsFalse, enums.RuleCapped,
			enums.RuleDepthLimit}},
		{"team roles", "CHECK (role IN (%s))", []string{enums.TeamRoleMember, enums.TeamRoleModerator, enums.TeamRoleLeader}},
		{"challenge metrics", "CHECK (metric IN (%s))", []string{enums.ChallengeMetricPoints, enums.ChallengeMetricCheckIns,
			enums.ChallengeMetricModules}},
		{"challenge statuses", "CHECK (status IN (%s))", []string{enums.ChallengeScheduled, enums.ChallengeRunning,
			enums.ChallengeSettling, enums.ChallengeCompleted, enums.ChallengeCancelled}},
		{"onboarding statuses", "CHECK (status IN (%s))", []string{enums.OnboardingPreboarding, enums.OnboardingActive,
			enums.OnboardingBehind, enums.OnboardingPaused, enums.OnboardingCompleted, enums.OnboardingCancelled}},
		{"onboarding milestones", "CHECK (milestone IN (%s))", enums.Milestones},
		{"onboarding roles", "CHECK (assignee_role IN (%s))", []string{enums.OnboardingRoleHire, enums.OnboardingRoleBuddy,
			enums.OnboardingRoleManager, enums.OnboardingRoleHR}},
		{"onboarding task statuses", "CHECK (status IN (%s))", []string{enums.TaskPending, enums.TaskDone, enums.TaskSkipped,
			enums.TaskCancelled}},
		{"buddy sources", "CHECK (source IN (%s))", []string{enums.BuddySourceAuto, enums.BuddySourceManual}},
		{"buddy match statuses", "CHECK (status IN (%s))", []string{enums.BuddyMatchActive, enums.BuddyMatchEnded}},
		{"badge rarities", "CHECK (rarity IN (%s))", []string{enums.RarityCommon, enums.RarityUncommon, enums.RarityRare,
			enums.RarityEpic, enums.RarityLegendary}},
		{"conference statuses", "CHECK (status IN (%s))", []string{enums.ConferenceDraft, enums.ConferencePublished,
			enums.ConferenceLive, enums.ConferenceCompleted, enums.ConferenceCancelled}},
		{"attendance statuses", "CHECK (status IN (%s))", []string{enums.AttendanceRegistered, enums.AttendanceCancelled}},
		{"speaker roles", "CHECK (role IN (%s))", enums.SpeakerRoles},
		{"agenda kinds", "CHECK (kind IN (%s))", enums.AgendaKinds},
		{"agenda statuses", "CHECK (status IN (%s))", []string{enums.AgendaScheduled, enums.AgendaCancelled}},
		{"quest statuses", "CHECK (status IN (%s))", []string{enums.QuestDraft, enums.QuestPublished, enums.QuestArchived}},
		{"recurrences", "CHECK (recurrence IN (%s))", []string{enums.RecurrenceNone, enums.RecurrenceDaily,
			enums.RecurrenceWeekly, enums.RecurrenceMonthly}},
		{"quest task kinds", "CHECK (kind IN (%s))", enums.TaskKinds},
		{"registration statuses", "CHECK (status IN (%s))", []string{enums.RegistrationPending, enums.RegistrationApproved,
			enums.RegistrationRejected, enums.RegistrationExpired}},
		{"user task statuses", "CHECK (status IN (%s))", []string{enums.UserTaskSubmitted, enums.UserTaskVerifying,
			enums.UserTaskInReview, enums.UserTaskCompleted, enums.UserTaskFailed}},
		{"connection statuses", "CHECK (status IN (%s))", []string{enums.ConnectionPending, enums.ConnectionAccepted,
			enums.ConnectionDeclined, enums.ConnectionCancelled, enums.ConnectionBlocked}},
		{"enrichment statuses", "CHECK (status IN (%s))", []string{enums.EnrichmentPending, enums.EnrichmentDone,
			enums.EnrichmentFailed}},
		{"campaign statuses", "CHECK (status IN (%s))", []string{enums.CampaignDraft, enums.CampaignActive,
			enums.CampaignPaused, enums.CampaignCompleted}},
	}
	for _, c := range cases {
		want := strings.Replace(c.clause, "%s", "'"+strings.Join(c.values, "', '")+"'", 1)
		assert.Contains(t, schema, want, c.name)
	}
}

func TestIsOpenRequestStatus(t *testing.T) {
	t.Parallel()
	assert.True(t, enums.IsOpenRequestStatus(enums.RequestAwaitingPayment))
	assert.True(t, enums.IsOpenRequestStatus(enums.RequestAccepted))
	assert.False(t, enums.IsOpenRequestStatus(enums.RequestExpired))
	assert.False(t, enums.IsOpenRequestStatus("rejected"))
}

func TestIsTerminalJobStatus(t *testing.T) {
	t.Parallel()
	for status, terminal := range map[string]bool{enums.JobDraft: false, enums.JobScheduled: false, enums.JobRunning: false,
		enums.JobCompleted: true, enums.JobCancelled: true, enums.JobFailed: true} {
		assert.Equal(t, terminal, enums.IsTerminalJobStatus(status), status)
	}
}

func upMigrations(t *testing.T) string {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.up.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	var b strings.Builder
	for _, n := range names {
		sql, err := fs.ReadFile(migrations.FS, n)
		require.NoError(t, err)
		b.Write(sql)
	}
	return b.String()
}
