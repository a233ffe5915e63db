package notifications

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
	"github.com/convene/convene/workflows"
)

// audienceFields lists the Audience fields each kind uses, the required
// one first; every other field must be left empty.
var audienceFields = map[string][]string{
	db.AudienceAllUsers:            nil,
	db.AudienceOrganizationMembers: {"organization_id", "roles"},
	db.AudienceEventAttendees:      {"event_id", "statuses"},
	db.AudienceEventRequesters:     {"event_id", "statuses"},
	db.AudienceInterest:            {"interest_slug"},
	db.AudienceUserList:            {"user_ids"},
	db.AudienceConferenceAttendees: {"conference_id", "statuses"},
	db.AudienceQuestParticipants:   {"quest_id", "statuses"},
}

// audienceStatuses are the statuses an audience may filter on:
// event_attendees.status, event_requests.status,
// conference_attendees.status and quest_registration_requests.status.
var audienceStatuses = map[string][]string{
	db.AudienceConferenceAttendees: {enums.AttendanceRegistered, enums.AttendanceCancelled},
	db.AudienceQuestParticipants: {enums.RegistrationPending, enums.RegistrationApproved, enums.RegistrationRejected,
		enums.RegistrationExpired},
	db.AudienceEventAttendees: {"going", "checked_in", "cancelled"},
	db.AudienceEventRequesters: {workflows.StatusPending, workflows.StatusWaitlisted, workflows.StatusOffered,
		workflows.StatusAwaitingPayment, workflows.StatusAccepted, workflows.StatusDeclined, workflows.StatusCancelled,
		workflows.StatusExpired},
}

// criteriaFromProto checks every audience of c (exclusions too, since they
// also read another tenant's data) and converts them. Errors name the part,
// e.g. criteria.include[1].organization_id.
func criteriaFromProto(ctx context.Context, idb bun.IDB, c *notificationsv1.Criteria, scope jobScope) (db.Criteria, error) {
	var out db.Criteria
	for i, a := range c.GetInclude() {
		aud, err := audienceFromProto(ctx, idb, a, fmt.Sprintf("criteria.include[%d]", i), scope)
		if err != nil {
			return db.Criteria{}, err
		}
		out.Include = append(out.Include, aud)
	}
	for i, a := range c.GetExclude() {
		aud, err := audienceFromProto(ctx, idb, a, fmt.Sprintf("criteria.exclude[%d]", i), scope)
		if err != nil {
			return db.Criteria{}, err
		}
		out.Exclude = append(out.Exclude, aud)
	}
	return out, nil
}

// audienceFromProto checks the fields of one audience, then what it
// refers to: that it exists (InvalidArgument) and that the scope may
// target it (PermissionDenied).
func audienceFromProto(ctx context.Context, idb bun.IDB, a *notificationsv1.Audience, field string, scope jobScope) (db.Audience, error) {
	out := db.Audience{Kind: audienceKinds.Name(a.GetKind()), OrganizationID: rpc.OptionalID(a.GetOrganizationId()),
		Roles: a.GetRoles(), EventID: rpc.OptionalID(a.GetEventId()), Statuses: a.GetStatuses(), InterestSlug: a.GetInterestSlug(),
		ConferenceID: rpc.OptionalID(a.GetConferenceId()), QuestID: rpc.OptionalID(a.GetQuestId())}
	if !db.KnownAudienceKind(out.Kind) {
		return db.Audience{}, rpc.InvalidField(field+".kind", "unknown audience kind")
	}
	if err := checkAudienceFields(a, out.Kind, field); err != nil {
		return db.Audience{}, err
	}
	for _, id := range a.GetUserIds() {
		out.UserIDs = append(out.UserIDs, uuid.MustParse(id))
	}
	var err error
	switch out.Kind {
	case db.AudienceAllUsers:
		if !scope.staff {
			err = rpc.DeniedField(field+".kind", "ALL_USERS is for platform staff only")
		}
	case db.AudienceOrganizationMembers:
		err = checkMembersAudience(ctx, idb, *out.OrganizationID, field, scope)
	case db.AudienceEventAttendees, db.AudienceEventRequesters:
		err = checkEventAudience(ctx, idb, &out, field, scope)
	case db.AudienceInterest:
		err = checkInterestAudience(ctx, idb, out.InterestSlug, field, scope)
	case db.AudienceUserList:
		err = checkUserListAudience(ctx, idb, out.UserIDs, field, scope)
	case db.AudienceConferenceAttendees:
		err = checkTargetAudience(ctx, idb, out.Kind, *out.ConferenceID, field+".conference_id", "conference", scope)
	case db.AudienceQuestParticipants:
		err = checkTargetAudience(ctx, idb, out.Kind, *out.QuestID, field+".quest_id", "quest", scope)
	}
	return out, err
}

// checkAudienceFields requires the field kind needs and refuses the ones
// it does not use.
func checkAudienceFields(a *notificationsv1.Audience, kind, field string) error {
	set := map[string]bool{"organization_id": a.GetOrganizationId() != "", "roles": len(a.GetRoles()) > 0,
		"event_id": a.GetEventId() != "", "statuses": len(a.GetStatuses()) > 0,
		"interest_slug": a.GetInterestSlug() != "", "user_ids": len(a.GetUserIds()) > 0,
		"conference_id": a.GetConferenceId() != "", "quest_id": a.GetQuestId() != ""}
	uses := audienceFields[kind]
	if len(uses) > 0 && !set[uses[0]] {
		return rpc.InvalidField(field+"."+uses[0], "required for "+a.GetKind().String())
	}
	for _, name := range []string{"organization_id", "roles", "event_id", "statuses", "interest_slug", "user_ids",
		"conference_id", "quest_id"} {
		if set[name] && !slices.Contains(uses, name) {
			return rpc.InvalidField(field+"."+name, "does not apply to "+a.GetKind().String()+"; leave it empty")
		}
	}
	for i, st := range a.GetStatuses() {
		if valid := audienceStatuses[kind]; !slices.Contains(valid, st) {
			return rpc.InvalidField(fmt.Sprintf("%s.statuses[%d]", field, i),
				fmt.Sprintf("%q is not a status of %s; use one of %s", st, a.GetKind(), strings.Join(valid, ", ")))
		}
	}
	return nil
}

func checkMembersAudience(ctx context.Context, idb bun.IDB, orgID uuid.UUID, field string, scope jobScope) error {
	if !scope.staff {
		if orgID != *scope.orgID {
			return rpc.DeniedField(field+".organization_id", "you can only notify members of the job's organization")
		}
		return nil
	}
	if _, err := db.OrganizationByID(ctx, idb, orgID); errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField(field+".organization_id", "no such organization")
	} else if err != nil {
		return err
	}
	return nil
}

func checkEventAudience(ctx context.Context, idb bun.IDB, a *db.Audience, field string, scope jobScope) error {
	ev, err := db.EventByID(ctx, idb, *a.EventID)
	if errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField(field+".event_id", "no such event")
	}
	if err != nil {
		return err
	}
	if !scope.staff && (ev.OrganizationID == nil || *ev.OrganizationID != *scope.orgID) {
		return rpc.DeniedField(field+".event_id", "the event is not one of the job's organization")
	}
	return nil
}

// checkTargetAudience lets an organization notify the attendees of its
// own conferences and the participants of its own quests.
func checkTargetAudience(ctx context.Context, idb bun.IDB, kind string, id uuid.UUID, field, noun string, scope jobScope) error {
	orgID, err := db.AudienceTargetOrganization(ctx, idb, kind, id)
	if errors.Is(err, db.ErrNotFound) {
		return rpc.InvalidField(field, "no such "+noun)
	}
	if err != nil {
		return err
	}
	if !scope.staff && orgID != *scope.orgID {
		return rpc.DeniedField(field, "not one of the job's organization")
	}
	return nil
}

func checkInterestAudience(ctx context.Context, idb bun.IDB, slug, field string, scope jobScope) error {
	found, err := db.InterestsBySlug(ctx, idb, []string{slug})
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return rpc.InvalidField(field+".interest_slug", fmt.Sprintf("unknown interest %q; ListInterests gives the valid slugs", slug))
	}
	if !scope.staff {
		return rpc.DeniedField(field+".kind", "INTEREST is for platform staff only")
	}
	return nil
}

// checkUserListAudience lets organizations list only their own members,
// so a job cannot reach (or probe) users outside the tenant.
func checkUserListAudience(ctx context.Context, idb bun.IDB, ids []uuid.UUID, field string, scope jobScope) error {
	if scope.staff {
		return nil
	}
	outsiders, err := db.NonMembers(ctx, idb, *scope.orgID, ids)
	if err != nil || len(outsiders) == 0 {
		return err
	}
	for i, id := range ids {
		if id == outsiders[0] {
			return rpc.DeniedField(fmt.Sprintf("%s.user_ids[%d]", field, i), "not a member of the job's organization")
		}
	}
	return nil
}
