package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/proto"

	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	socialv1 "github.com/convene/convene/proto/convene/social/v1"
	"github.com/convene/convene/proto/convene/social/v1/socialv1connect"
)

// SafetyService in both matrices. A's rows: a group of A's free event
// with A's owner in it, and an alert of A's owner to it, resolved, so the
// input matrix's acknowledge and resolve fail for a business reason (the
// alert is resolved) and its trigger too (A's member is not in the group):
// nothing reaches a workflow and nothing changes.
const (
	fxSafetyGroupA = "@safetyGroupA"
	fxSafetyAlertA = "@safetyAlertA"
)

func init() {
	matrixTopics = append(matrixTopics, matrixTopic{
		name:  "social safety",
		build: buildSafetyTopic,
		tenant: []tenantCase{
			{socialv1connect.SafetyServiceTriggerAlertProcedure, refused, safetyTriggerRequest()},
			{socialv1connect.SafetyServiceGetAlertProcedure, notFound, &socialv1.GetAlertRequest{AlertId: fxSafetyAlertA}},
			{socialv1connect.SafetyServiceAcknowledgeAlertProcedure, refused, &socialv1.AcknowledgeAlertRequest{AlertId: fxSafetyAlertA}},
			{socialv1connect.SafetyServiceResolveAlertProcedure, refused, &socialv1.ResolveAlertRequest{AlertId: fxSafetyAlertA,
				Outcome: socialv1.AlertOutcome_ALERT_OUTCOME_ASSISTED}},
		},
		input: []inputCase{
			{socialv1connect.SafetyServiceTriggerAlertProcedure, asMemberA, safetyTriggerRequest()},
			{socialv1connect.SafetyServiceGetAlertProcedure, asOwnerA, &socialv1.GetAlertRequest{AlertId: fxSafetyAlertA}},
			{socialv1connect.SafetyServiceListAlertsProcedure, asOwnerA, &socialv1.ListAlertsRequest{
				Status: socialv1.AlertStatus_ALERT_STATUS_RESOLVED, PageSize: 10}},
			{socialv1connect.SafetyServiceAcknowledgeAlertProcedure, asOwnerA, &socialv1.AcknowledgeAlertRequest{AlertId: fxSafetyAlertA}},
			{socialv1connect.SafetyServiceResolveAlertProcedure, asOwnerA, &socialv1.ResolveAlertRequest{AlertId: fxSafetyAlertA,
				Outcome: socialv1.AlertOutcome_ALERT_OUTCOME_ASSISTED, Note: "n"}},
		},
		free: map[string]string{
			socialv1connect.SafetyServiceListAlertsProcedure: "lists the caller's own alerts (sent, to their groups, at their events)",
		},
	})
}

func safetyTriggerRequest() *socialv1.TriggerAlertRequest {
	return &socialv1.TriggerAlertRequest{GroupIds: []string{fxSafetyGroupA}, AlertType: socialv1.AlertType_ALERT_TYPE_HELP,
		Latitude: proto.Float64(12.97), Longitude: proto.Float64(77.59), Message: "help", ClientRequestId: "matrix-request"}
}

// buildSafetyTopic writes A's group and resolved alert straight in the
// database: the group API is another topic's, and a resolved alert's run
// has ended.
func buildSafetyTopic(t *testing.T, f *matrixFixture) map[string]string {
	t.Helper()
	owner, event := mustUUID(f.ownerA.UserID), mustUUID(f.freeEvent)
	g := &db.Group{ID: db.NewID(), EventID: event, Name: "Matrix group", MaxMembers: 10}
	now, outcome := time.Now(), enums.AlertOutcomeSafe
	b := &db.SafetyAlertBatch{ID: db.NewID(), SenderID: owner, ClientRequestID: "matrix-fixture", AlertType: enums.AlertTypeHelp,
		Status: enums.AlertResolved, ResolvedBy: &owner, ResolvedAt: &now, Outcome: &outcome}
	require.NoError(t, f.a.DB.InTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return err
		}
		if err := db.AddGroupMember(ctx, tx, g.ID, owner, true); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return err
		}
		return db.InsertAlertRows(ctx, tx, []db.SafetyAlert{{ID: db.NewID(), BatchID: b.ID, UserID: owner, GroupID: g.ID,
			EventID: event, AlertType: b.AlertType, ResolvedAt: &now, ResolvedByUserID: &owner}})
	}))
	return map[string]string{fxSafetyGroupA: g.ID.String(), fxSafetyAlertA: b.ID.String()}
}
