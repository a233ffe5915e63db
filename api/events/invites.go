package events

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	eventsv1 "github.com/convene/convene/proto/convene/events/v1"
)

// InviteUser invites one person (by user ID or phone) to an event; their
// request skips host approval.
func (s *ticketingServer) InviteUser(ctx context.Context, req *connect.Request[eventsv1.InviteUserRequest]) (*connect.Response[eventsv1.InviteUserResponse], error) {
	msg := req.Msg
	ev, err := s.hostedEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	var inv *db.Invite
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkInviteRate(ctx, tx, ev.HostUserID); err != nil {
			return err
		}
		invitee, err := s.invitee(ctx, tx, msg)
		if err != nil {
			return err
		}
		inv, err = s.newInvite(ev, "direct", msg.GetExpiresInHours(), 1)
		if err != nil {
			return err
		}
		inv.InvitedUserID, inv.Message = &invitee, msg.GetMessage()
		if err := db.InsertInvite(ctx, tx, inv); err != nil {
			return err
		}
		caller := rpc.CallerID(ctx)
		if err := rpc.Audit(ctx, tx, &caller, ev.OrganizationID, "event_invite", inv.ID.String(), "create", map[string]any{"invited_user_id": invitee.String()}); err != nil {
			return err
		}
		return db.Notify(ctx, tx, &db.Notification{RecipientUserID: invitee, SenderUserID: &caller, Type: "event_invite",
			Title: "You're invited to " + ev.Title, Message: msg.GetMessage(), ReferenceType: "event_invite", ReferenceID: inv.Token})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.InviteUserResponse{Invite: inviteToProto(inv)}), nil
}

// invitesPerHostPerHour caps InviteUser per host: each invite notifies
// (and, by phone, may create) an account, so an unbounded host could flood
// anyone's inbox.
const invitesPerHostPerHour = 100

// checkInviteRate refuses an invite past the host's hourly cap.
func checkInviteRate(ctx context.Context, tx bun.Tx, hostID uuid.UUID) error {
	n, err := db.CountHostDirectInvites(ctx, tx, hostID, time.Hour)
	if err != nil {
		return err
	}
	if n >= invitesPerHostPerHour {
		return connect.NewError(connect.CodeResourceExhausted, fmt.Errorf(
			"you sent %d invites in the last hour, the most allowed; try again later or share an invite link", n))
	}
	return nil
}

func (s *ticketingServer) invitee(ctx context.Context, tx bun.Tx, msg *eventsv1.InviteUserRequest) (uuid.UUID, error) {
	if id := msg.GetUserId(); id != "" {
		u, err := db.UserByID(ctx, tx, uuid.MustParse(id))
		if errors.Is(err, db.ErrNotFound) {
			return uuid.Nil, rpc.InvalidField("user_id", "no such user")
		}
		if err != nil {
			return uuid.Nil, err
		}
		return u.ID, nil
	}
	phone, err := rpc.NormalizePhone("phone", msg.GetPhone())
	if err != nil {
		return uuid.Nil, err
	}
	u, _, err := db.CreateUserWithPhone(ctx, tx, phone)
	if err != nil {
		return uuid.Nil, err
	}
	return u.ID, nil
}

// CreateInviteLink makes a share link anyone can use to skip approval.
func (s *ticketingServer) CreateInviteLink(ctx context.Context, req *connect.Request[eventsv1.CreateInviteLinkRequest]) (*connect.Response[eventsv1.CreateInviteLinkResponse], error) {
	msg := req.Msg
	ev, err := s.hostedEvent(ctx, uuid.MustParse(msg.GetEventId()))
	if err != nil {
		return nil, err
	}
	inv, err := s.newInvite(ev, "share_link", msg.GetExpiresInHours(), msg.GetMaxUses())
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.InsertInvite(ctx, tx, inv); err != nil {
			return err
		}
		caller := rpc.CallerID(ctx)
		return rpc.Audit(ctx, tx, &caller, ev.OrganizationID, "event_invite", inv.ID.String(), "create", map[string]any{"type": "share_link"})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.CreateInviteLinkResponse{Invite: inviteToProto(inv),
		Url: fmt.Sprintf("%s/invites/%s", s.PublicURL, inv.Token)}), nil
}

// RespondToInvite accepts (starting an order that skips approval) or
// declines an invite.
func (s *ticketingServer) RespondToInvite(ctx context.Context, req *connect.Request[eventsv1.RespondToInviteRequest]) (*connect.Response[eventsv1.RespondToInviteResponse], error) {
	msg, caller := req.Msg, rpc.CallerID(ctx)
	inv, err := db.InviteByToken(ctx, s.DB, msg.GetToken())
	if errors.Is(err, db.ErrNotFound) {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("invite not found"))
	}
	if err != nil {
		return nil, err
	}
	if !msg.GetAccept() {
		return s.declineInvite(ctx, inv)
	}
	seats := max(msg.GetSeats(), 1)
	ev, err := s.joinableEvent(ctx, inv.EventID, caller, seats)
	if err != nil {
		return nil, err
	}
	r, err := s.admit(ctx, ev, orderStart(ev, caller, seats, inv.Message), inv.Token)
	if err != nil {
		return nil, err
	}
	stored, err := db.InviteByToken(ctx, s.DB, inv.Token)
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.RespondToInviteResponse{Invite: inviteToProto(stored), Request: r}), nil
}

func (s *ticketingServer) declineInvite(ctx context.Context, inv *db.Invite) (*connect.Response[eventsv1.RespondToInviteResponse], error) {
	caller := rpc.CallerID(ctx)
	if inv.InviteType != "direct" || inv.InvitedUserID == nil || *inv.InvitedUserID != caller {
		return nil, connect.NewError(connect.CodePermissionDenied, errors.New("only the invited person can decline a direct invite"))
	}
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.UseInvite(ctx, tx, inv, "declined"); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &caller, nil, "event_invite", inv.ID.String(), "decline", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&eventsv1.RespondToInviteResponse{Invite: inviteToProto(inv)}), nil
}

// useInvite checks, in the admission's transaction, that an invite token
// lets userID into the event and uses it up (one use of a link; a direct
// invite becomes accepted), under a row lock so a link's last use cannot
// be taken twice. It returns the invite's ID, nil without a token.
func (s *ticketingServer) useInvite(ctx context.Context, tx bun.Tx, ev *db.Event, token string, userID uuid.UUID) (*uuid.UUID, error) {
	if token == "" {
		return nil, nil
	}
	inv, err := db.InviteByTokenForUpdate(ctx, tx, token)
	if errors.Is(err, db.ErrNotFound) {
		return nil, rpc.InvalidField("invite_token", "not a valid invite for this event")
	}
	if err == nil {
		err = s.checkInvite(inv, ev, userID)
	}
	if err != nil {
		return nil, err
	}
	if err := db.UseInvite(ctx, tx, inv, "accepted"); err != nil {
		return nil, err
	}
	if err := rpc.Audit(ctx, tx, &userID, ev.OrganizationID, "event_invite", inv.ID.String(), "accept", nil); err != nil {
		return nil, err
	}
	return &inv.ID, nil
}

func (s *ticketingServer) checkInvite(inv *db.Invite, ev *db.Event, userID uuid.UUID) error {
	bad := rpc.InvalidField("invite_token", "not a valid invite for this event")
	switch {
	case inv.EventID != ev.ID:
		return bad
	case inv.ExpiresAt != nil && !s.Now().Before(*inv.ExpiresAt):
		return connect.NewError(connect.CodeFailedPrecondition, errors.New("this invite has expired"))
	case inv.InviteType == "direct" && (inv.InvitedUserID == nil || *inv.InvitedUserID != userID):
		return connect.NewError(connect.CodePermissionDenied, errors.New("this invite is for someone else"))
	case inv.InviteType == "direct" && inv.Status != "pending":
		return connect.NewError(connect.CodeFailedPrecondition, fmt.Errorf("this invite was already %s", inv.Status))
	case inv.InviteType == "share_link" && inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return connect.NewError(connect.CodeResourceExhausted, errors.New("this invite link has been used up"))
	}
	return nil
}

func (s *ticketingServer) newInvite(ev *db.Event, kind string, expiresInHours, maxUses int32) (*db.Invite, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate invite token: %w", err)
	}
	inv := &db.Invite{ID: db.NewID(), EventID: ev.ID, HostUserID: ev.HostUserID, InviteType: kind,
		Token: base64.RawURLEncoding.EncodeToString(b), Status: "pending", MaxUses: maxUses}
	if expiresInHours > 0 {
		t := s.Now().Add(time.Duration(expiresInHours) * time.Hour)
		inv.ExpiresAt = &t
	}
	return inv, nil
}
