package conferences

// SpeakerService: speakers and the line-ups of conferences and events.

import (
	"context"
	"errors"
	"fmt"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/db/enums"
	conferencesv1 "github.com/convene/convene/proto/convene/conferences/v1"
	"github.com/convene/convene/proto/convene/conferences/v1/conferencesv1connect"
)

// speakerServer implements convene.conferences.v1.SpeakerService.
type speakerServer struct {
	Deps
	conferencesv1connect.UnimplementedSpeakerServiceHandler
}

// speakerService mounts SpeakerService.
func speakerService(d Deps) rpc.Service {
	return rpc.NewService[conferencesv1connect.SpeakerServiceHandler](conferencesv1connect.SpeakerServiceName,
		&speakerServer{Deps: d}, conferencesv1connect.NewSpeakerServiceHandler)
}

// speakerRoles maps the API's speaker roles to enums.SpeakerRole*.
var speakerRoles = rpc.NewEnum(map[conferencesv1.SpeakerRole]string{
	conferencesv1.SpeakerRole_SPEAKER_ROLE_KEYNOTE:       enums.SpeakerRoleKeynote,
	conferencesv1.SpeakerRole_SPEAKER_ROLE_SPEAKER:       enums.SpeakerRoleSpeaker,
	conferencesv1.SpeakerRole_SPEAKER_ROLE_PANELIST:      enums.SpeakerRolePanelist,
	conferencesv1.SpeakerRole_SPEAKER_ROLE_MODERATOR:     enums.SpeakerRoleModerator,
	conferencesv1.SpeakerRole_SPEAKER_ROLE_HOST:          enums.SpeakerRoleHost,
	conferencesv1.SpeakerRole_SPEAKER_ROLE_WORKSHOP_LEAD: enums.SpeakerRoleWorkshopLead,
})

// errSpeakerNotFound is the answer for a speaker the caller may not see.
var errSpeakerNotFound = connect.NewError(connect.CodeNotFound, errors.New("speaker not found"))

// manageSpeaker loads a speaker of an organization the caller writes
// (owners and admins) and returns it with the caller's ID.
func manageSpeaker(ctx context.Context, idb bun.IDB, id uuid.UUID) (*db.Speaker, uuid.UUID, error) {
	callerID := rpc.CallerID(ctx)
	sp, err := db.SpeakerByID(ctx, idb, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, callerID, errSpeakerNotFound
	}
	if err != nil {
		return nil, callerID, err
	}
	if _, err := rpc.OrgAccess(ctx, idb, sp.OrganizationID, rpc.ManagerRoles); err != nil {
		return nil, callerID, err
	}
	return sp, callerID, nil
}

// checkOrgSpeaker refuses a speaker that does not exist or is not the
// organization's as NotFound naming field.
func checkOrgSpeaker(ctx context.Context, idb bun.IDB, orgID, speakerID uuid.UUID, field string) error {
	sp, err := db.SpeakerByID(ctx, idb, speakerID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && sp.OrganizationID != orgID) {
		return connect.NewError(connect.CodeNotFound, fmt.Errorf("%s: no such speaker in the organization", field))
	}
	return err
}

// applySpeakerInput sets a speaker's profile fields.
func applySpeakerInput(sp *db.Speaker, in *conferencesv1.SpeakerInput) {
	sp.Name, sp.Headline, sp.Company, sp.Bio = in.GetName(), in.GetHeadline(), in.GetCompany(), in.GetBio()
	sp.PhotoURL, sp.TwitterHandle, sp.LinkedInURL = in.GetPhotoUrl(), in.GetTwitterHandle(), in.GetLinkedinUrl()
}

// CreateSpeaker creates a speaker of the organization; owners and admins
// only.
func (s *speakerServer) CreateSpeaker(ctx context.Context, req *connect.Request[conferencesv1.CreateSpeakerRequest]) (*connect.Response[conferencesv1.CreateSpeakerResponse], error) {
	callerID := rpc.CallerID(ctx)
	sp := &db.Speaker{OrganizationID: uuid.MustParse(req.Msg.GetOrganizationId())}
	applySpeakerInput(sp, req.Msg.GetSpeaker())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := rpc.OrgAccess(ctx, tx, sp.OrganizationID, rpc.ManagerRoles); err != nil {
			return err
		}
		if err := db.InsertSpeaker(ctx, tx, sp); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &sp.OrganizationID, "speaker", sp.ID.String(), "create", map[string]any{"name": sp.Name})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.CreateSpeakerResponse{Speaker: speakerToProto(sp)}), nil
}

// UpdateSpeaker replaces a speaker's fields; owners and admins only. The
// conferences showing them get a new agenda version.
func (s *speakerServer) UpdateSpeaker(ctx context.Context, req *connect.Request[conferencesv1.UpdateSpeakerRequest]) (*connect.Response[conferencesv1.UpdateSpeakerResponse], error) {
	var sp *db.Speaker
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var callerID uuid.UUID
		var err error
		if sp, callerID, err = manageSpeaker(ctx, tx, uuid.MustParse(req.Msg.GetSpeakerId())); err != nil {
			return err
		}
		applySpeakerInput(sp, req.Msg.GetSpeaker())
		if err := db.UpdateSpeakerFields(ctx, tx, sp); err != nil {
			return err
		}
		if err := db.BumpAgendaVersionsOfSpeaker(ctx, tx, sp.ID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &sp.OrganizationID, "speaker", sp.ID.String(), "update", map[string]any{"name": sp.Name})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.UpdateSpeakerResponse{Speaker: speakerToProto(sp)}), nil
}

// LinkSpeakerUser links a speaker to a member's account; owners and
// admins only. A user is one speaker at most.
func (s *speakerServer) LinkSpeakerUser(ctx context.Context, req *connect.Request[conferencesv1.LinkSpeakerUserRequest]) (*connect.Response[conferencesv1.LinkSpeakerUserResponse], error) {
	userID := uuid.MustParse(req.Msg.GetUserId())
	var sp *db.Speaker
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var callerID uuid.UUID
		var err error
		if sp, callerID, err = manageSpeaker(ctx, tx, uuid.MustParse(req.Msg.GetSpeakerId())); err != nil {
			return err
		}
		if sp.UserID != nil && *sp.UserID == userID {
			return nil
		}
		if _, err := db.MemberRole(ctx, tx, sp.OrganizationID, userID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("user_id: not a member of the speaker's organization"))
		} else if err != nil {
			return err
		}
		if err := db.LinkSpeakerUser(ctx, tx, sp, userID); errors.Is(err, db.ErrSpeakerUserTaken) {
			return s.userTaken(ctx, sp.OrganizationID, userID)
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &sp.OrganizationID, "speaker", sp.ID.String(), "link_user", map[string]any{"user_id": userID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.LinkSpeakerUserResponse{Speaker: speakerToProto(sp)}), nil
}

// userTaken is the refusal of a user already linked to another speaker,
// naming that speaker when it is the organization's (looked up outside
// the failed transaction).
func (s *speakerServer) userTaken(ctx context.Context, orgID, userID uuid.UUID) error {
	other, err := db.SpeakerOfUser(ctx, s.DB, userID)
	if err != nil || other.OrganizationID != orgID {
		return connect.NewError(connect.CodeAlreadyExists, errors.New("user_id: the user is already another speaker"))
	}
	return connect.NewError(connect.CodeAlreadyExists, fmt.Errorf("user_id: the user is already speaker %q (%s)", other.Name, other.ID))
}

// AddConferenceSpeaker puts a speaker on a conference's line-up; owners
// and admins only.
func (s *speakerServer) AddConferenceSpeaker(ctx context.Context, req *connect.Request[conferencesv1.AddConferenceSpeakerRequest]) (*connect.Response[conferencesv1.AddConferenceSpeakerResponse], error) {
	speakerID := uuid.MustParse(req.Msg.GetSpeakerId())
	out := &conferencesv1.AddConferenceSpeakerResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, callerID, err := manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if err := checkOrgSpeaker(ctx, tx, c.OrganizationID, speakerID, "speaker_id"); err != nil {
			return err
		}
		cs := &db.ConferenceSpeaker{OrganizationID: c.OrganizationID, ConferenceID: c.ID, SpeakerID: speakerID,
			Role: speakerRoles.NameOr(req.Msg.GetRole(), enums.SpeakerRoleSpeaker)}
		if err := db.AddConferenceSpeaker(ctx, tx, cs); errors.Is(err, db.ErrSpeakerOnLineup) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("speaker_id: the speaker is already on the conference's line-up"))
		} else if err != nil {
			return err
		}
		if out.AgendaVersion, err = db.BumpAgendaVersion(ctx, tx, c.ID); err != nil {
			return err
		}
		sp, err := db.SpeakerByID(ctx, tx, speakerID)
		if err != nil {
			return err
		}
		out.Speaker = &conferencesv1.LineupSpeaker{Speaker: speakerToProto(sp), Role: speakerRoles.Value(cs.Role)}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "add_speaker",
			map[string]any{"speaker_id": speakerID.String(), "role": cs.Role})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// RemoveConferenceSpeaker takes a speaker off a conference's line-up;
// owners and admins only.
func (s *speakerServer) RemoveConferenceSpeaker(ctx context.Context, req *connect.Request[conferencesv1.RemoveConferenceSpeakerRequest]) (*connect.Response[conferencesv1.RemoveConferenceSpeakerResponse], error) {
	speakerID := uuid.MustParse(req.Msg.GetSpeakerId())
	out := &conferencesv1.RemoveConferenceSpeakerResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, callerID, err := manageConference(ctx, tx, uuid.MustParse(req.Msg.GetConferenceId()))
		if err != nil {
			return err
		}
		if err := db.RemoveConferenceSpeaker(ctx, tx, c.ID, speakerID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("speaker_id: the speaker is not on the conference's line-up"))
		} else if err != nil {
			return err
		}
		if out.AgendaVersion, err = db.BumpAgendaVersion(ctx, tx, c.ID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &c.OrganizationID, "conference", c.ID.String(), "remove_speaker",
			map[string]any{"speaker_id": speakerID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// manageEvent checks the caller writes the event's organization (owners
// and admins); an event without one, or not found, is NotFound.
func manageEvent(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (uuid.UUID, error) {
	e, err := db.EventByID(ctx, idb, eventID)
	if errors.Is(err, db.ErrNotFound) || (err == nil && e.OrganizationID == nil) {
		return uuid.Nil, connect.NewError(connect.CodeNotFound, errors.New("event not found"))
	}
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := rpc.OrgAccess(ctx, idb, *e.OrganizationID, rpc.ManagerRoles); err != nil {
		return uuid.Nil, err
	}
	return *e.OrganizationID, nil
}

// AddEventSpeaker puts a speaker on an event of the same organization;
// owners and admins only.
func (s *speakerServer) AddEventSpeaker(ctx context.Context, req *connect.Request[conferencesv1.AddEventSpeakerRequest]) (*connect.Response[conferencesv1.AddEventSpeakerResponse], error) {
	eventID, speakerID, callerID := uuid.MustParse(req.Msg.GetEventId()), uuid.MustParse(req.Msg.GetSpeakerId()), rpc.CallerID(ctx)
	out := &conferencesv1.AddEventSpeakerResponse{}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		orgID, err := manageEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if err := checkOrgSpeaker(ctx, tx, orgID, speakerID, "speaker_id"); err != nil {
			return err
		}
		es := &db.EventSpeaker{OrganizationID: orgID, EventID: eventID, SpeakerID: speakerID,
			Role: speakerRoles.NameOr(req.Msg.GetRole(), enums.SpeakerRoleSpeaker)}
		if err := db.AddEventSpeaker(ctx, tx, es); errors.Is(err, db.ErrSpeakerOnLineup) {
			return connect.NewError(connect.CodeAlreadyExists, errors.New("speaker_id: the speaker is already on the event"))
		} else if err != nil {
			return err
		}
		sp, err := db.SpeakerByID(ctx, tx, speakerID)
		if err != nil {
			return err
		}
		out.Speaker = &conferencesv1.LineupSpeaker{Speaker: speakerToProto(sp), Role: speakerRoles.Value(es.Role)}
		return rpc.Audit(ctx, tx, &callerID, &orgID, "event", eventID.String(), "add_speaker",
			map[string]any{"speaker_id": speakerID.String(), "role": es.Role})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(out), nil
}

// RemoveEventSpeaker takes a speaker off an event; owners and admins only.
func (s *speakerServer) RemoveEventSpeaker(ctx context.Context, req *connect.Request[conferencesv1.RemoveEventSpeakerRequest]) (*connect.Response[conferencesv1.RemoveEventSpeakerResponse], error) {
	eventID, speakerID, callerID := uuid.MustParse(req.Msg.GetEventId()), uuid.MustParse(req.Msg.GetSpeakerId()), rpc.CallerID(ctx)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		orgID, err := manageEvent(ctx, tx, eventID)
		if err != nil {
			return err
		}
		if err := db.RemoveEventSpeaker(ctx, tx, eventID, speakerID); errors.Is(err, db.ErrNotFound) {
			return connect.NewError(connect.CodeNotFound, errors.New("speaker_id: the speaker is not on the event"))
		} else if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &orgID, "event", eventID.String(), "remove_speaker", map[string]any{"speaker_id": speakerID.String()})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&conferencesv1.RemoveEventSpeakerResponse{SpeakerId: speakerID.String()}), nil
}

// ListSpeakers pages through an organization's speakers or a
// conference's line-up, by name; members of the organization.
func (s *speakerServer) ListSpeakers(ctx context.Context, req *connect.Request[conferencesv1.ListSpeakersRequest]) (*connect.Response[conferencesv1.ListSpeakersResponse], error) {
	m := req.Msg
	page, err := rpc.NamePage("ListSpeakers", m.GetPageToken(), m.GetPageSize(), conferencesPageSize)
	if err != nil {
		return nil, err
	}
	var rows []db.LineupRow
	if m.GetConferenceId() != "" {
		c, _, err := loadConference(ctx, s.DB, uuid.MustParse(m.GetConferenceId()))
		if err != nil {
			return nil, err
		}
		rows, err = db.LineupPage(ctx, s.DB, c.ID, page.LastKey, page.LastID, page.Limit())
		if err != nil {
			return nil, err
		}
	} else {
		orgID := uuid.MustParse(m.GetOrganizationId())
		if _, err := rpc.OrgAccess(ctx, s.DB, orgID, rpc.AnyRole); err != nil {
			return nil, err
		}
		if rows, err = db.SpeakersPage(ctx, s.DB, orgID, page.LastKey, page.LastID, page.Limit()); err != nil {
			return nil, err
		}
	}
	rows, next := rpc.NextPage(page, rows, func(r *db.LineupRow) (string, uuid.UUID) { return r.Name, r.ID })
	out := &conferencesv1.ListSpeakersResponse{NextPageToken: next}
	for i := range rows {
		out.Speakers = append(out.Speakers, lineupToProto(&rows[i]))
	}
	return connect.NewResponse(out), nil
}

// lineupToProto is the API's view of a speaker with their line-up role.
func lineupToProto(r *db.LineupRow) *conferencesv1.LineupSpeaker {
	return &conferencesv1.LineupSpeaker{Speaker: speakerToProto(&r.Speaker), Role: speakerRoles.Value(r.Role)}
}

// speakerToProto is the API's view of a speaker.
func speakerToProto(sp *db.Speaker) *conferencesv1.Speaker {
	return &conferencesv1.Speaker{Id: sp.ID.String(), OrganizationId: sp.OrganizationID.String(), UserId: rpc.IDString(sp.UserID),
		Name: sp.Name, Headline: sp.Headline, Company: sp.Company, Bio: sp.Bio, PhotoUrl: sp.PhotoURL,
		TwitterHandle: sp.TwitterHandle, LinkedinUrl: sp.LinkedInURL, CreatedAt: timestamppb.New(sp.CreatedAt)}
}
