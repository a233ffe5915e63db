package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	"github.com/convene/convene/internal/providers/notify"
	identityv1 "github.com/convene/convene/proto/convene/identity/v1"
)

const (
	// invitationResendAfter is how long re-inviting the same person stays
	// silent: the SMS or email goes out at most once a day per organization.
	invitationResendAfter = 24 * time.Hour
	// maxMyInvitations bounds ListMyInvitations.
	maxMyInvitations = 100
	// orgNameInMessage bounds the organization name quoted in an SMS or email.
	orgNameInMessage = 60
)

// invitation is what AddMember decided inside its transaction and what
// it sends after commit.
type invitation struct {
	row     *db.Invitation
	phone   string // phone invitations
	email   string // email invitations
	orgName string
	// send is set when this call owes the invitee an SMS or email.
	send bool
}

// AddMember invites a person by phone or email; they become a member only
// by accepting (AcceptInvitation). The SMS or email goes out after commit.
func (s *organizationServer) AddMember(ctx context.Context, req *connect.Request[identityv1.AddMemberRequest]) (*connect.Response[identityv1.AddMemberResponse], error) {
	msg, callerID := req.Msg, rpc.CallerID(ctx)
	orgID := uuid.MustParse(msg.GetOrganizationId())
	role := roles.NameOr(msg.GetRole(), db.RoleMember)
	var inv invitation
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		callerRole, err := rpc.OrgAccess(ctx, tx, orgID, rpc.ManagerRoles)
		if err != nil {
			return err
		}
		if role == db.RoleOwner && callerRole != db.RoleOwner && callerRole != rpc.StaffRole {
			return connect.NewError(connect.CodePermissionDenied, errors.New("only an owner can add another owner"))
		}
		invitee, err := s.resolveInvitee(ctx, tx, orgID, msg, &inv)
		if err != nil {
			return err
		}
		return s.openInvitation(ctx, tx, orgID, callerID, invitee, role, &inv)
	})
	if err != nil {
		return nil, err
	}
	s.sendInvitation(ctx, &inv)
	m := invitationToMember(inv.row)
	if inv.phone != "" {
		m.Phone = inv.phone
	}
	return connect.NewResponse(&identityv1.AddMemberResponse{Member: m}), nil
}

func errAlreadyMember() error {
	return connect.NewError(connect.CodeAlreadyExists, errors.New("this person is already a member; remove them first to change their role"))
}

// resolveInvitee names who is invited: the account of a phone (created if
// missing, as before), or an email address as such, which is never looked
// up beyond checking the members' verified emails.
func (s *organizationServer) resolveInvitee(ctx context.Context, tx bun.Tx, orgID uuid.UUID, msg *identityv1.AddMemberRequest, inv *invitation) (db.Invitee, error) {
	if msg.GetEmail() != "" {
		inv.email = strings.ToLower(msg.GetEmail())
		member, err := db.IsMemberWithVerifiedEmail(ctx, tx, orgID, inv.email)
		if err != nil {
			return db.Invitee{}, err
		}
		if member {
			return db.Invitee{}, errAlreadyMember()
		}
		return db.Invitee{Email: inv.email}, nil
	}
	phone, err := rpc.NormalizePhone("phone", msg.GetPhone())
	if err != nil {
		return db.Invitee{}, err
	}
	u, _, err := db.CreateUserWithPhone(ctx, tx, phone)
	if err != nil {
		return db.Invitee{}, err
	}
	if _, err := db.MemberRole(ctx, tx, orgID, u.ID); err == nil {
		return db.Invitee{}, errAlreadyMember()
	} else if !errors.Is(err, db.ErrNotFound) {
		return db.Invitee{}, err
	}
	inv.phone = phone
	return db.Invitee{UserID: &u.ID}, nil
}

// openInvitation creates the invitee's open invitation or, when one is
// open, gives it the new role; it decides whether an SMS or email is owed
// and writes the in-app notification of a new invitation.
func (s *organizationServer) openInvitation(ctx context.Context, tx bun.Tx, orgID, callerID uuid.UUID, invitee db.Invitee, role string, inv *invitation) error {
	org, err := db.OrganizationByID(ctx, tx, orgID)
	if err != nil {
		return err
	}
	inv.orgName = org.Name
	lastNotice, err := db.LastInvitationNotice(ctx, tx, orgID, invitee)
	if err != nil {
		return err
	}
	row, err := db.OpenInvitationFor(ctx, tx, orgID, invitee)
	action := "update"
	if errors.Is(err, db.ErrNotFound) {
		action = "create"
		row = &db.Invitation{ID: db.NewID(), OrganizationID: orgID, InviteeUserID: invitee.UserID, Role: role,
			InvitedBy: &callerID, Status: db.InvitationPending}
		if invitee.UserID == nil {
			row.InviteeEmail = &inv.email
		}
		if err := db.InsertInvitation(ctx, tx, row); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	row.Role = role
	now := s.Now()
	if inv.send = lastNotice == nil || now.Sub(*lastNotice) >= invitationResendAfter; inv.send {
		row.NotifiedAt = &now
	}
	if err := db.UpdateInvitation(ctx, tx, row); err != nil {
		return err
	}
	inv.row = row
	if action == "create" {
		if err := s.notifyInApp(ctx, tx, row, org, invitee); err != nil {
			return err
		}
	}
	return rpc.Audit(ctx, tx, &callerID, &orgID, "organization_invitation", row.ID.String(), action,
		map[string]any{"role": role, "by_email": invitee.UserID == nil})
}

// notifyInApp writes the invitation to the invitee's inbox: the invited
// account, or whoever has verified the invited email (the inviter learns
// nothing either way).
func (s *organizationServer) notifyInApp(ctx context.Context, tx bun.Tx, row *db.Invitation, org *db.Organization, invitee db.Invitee) error {
	recipient := invitee.UserID
	if recipient == nil {
		u, err := db.UserByVerifiedEmail(ctx, tx, invitee.Email)
		if errors.Is(err, db.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		recipient = &u.ID
	}
	return db.Notify(ctx, tx, &db.Notification{RecipientUserID: *recipient, SenderUserID: row.InvitedBy,
		OrganizationID: &org.ID, Type: "organization_invitation", Title: "You are invited to " + org.Name,
		Message: "Accept or decline the invitation in your invitations.", ReferenceType: "organization_invitation",
		ReferenceID: row.ID.String()})
}

// sendInvitation sends the SMS or email an invitation owes, after commit.
// A failure is logged and the notice forgotten, so re-inviting tries again;
// the invitation itself stands (the invitee sees it in the app).
func (s *organizationServer) sendInvitation(ctx context.Context, inv *invitation) {
	if !inv.send {
		return
	}
	text := fmt.Sprintf("You are invited to join %s on Convene as %s. Sign in to Convene to accept or decline.",
		truncate(inv.orgName, orgNameInMessage), inv.row.Role)
	var err error
	switch {
	case inv.phone != "":
		_, err = s.SMS.Send(ctx, inv.phone, text)
	case s.Email == nil:
		err = errors.New("no email provider is configured")
	default:
		_, err = s.Email.Send(ctx, notify.Message{IdempotencyKey: fmt.Sprintf("invitation-%s-%d", inv.row.ID, inv.row.NotifiedAt.Unix()),
			To: inv.email, Title: "Invitation to " + truncate(inv.orgName, orgNameInMessage), Body: text +
				" Verify this email address in your Convene profile to see the invitation."})
	}
	if err == nil {
		return
	}
	s.Log.WarnContext(ctx, "invitation not sent", "invitation_id", inv.row.ID, "error", err)
	if err := db.ClearInvitationNotice(context.WithoutCancel(ctx), s.DB, inv.row.ID); err != nil {
		s.Log.ErrorContext(ctx, "forget invitation notice", "invitation_id", inv.row.ID, "error", err)
	}
}

// ListMyInvitations lists the caller's open invitations.
func (s *organizationServer) ListMyInvitations(ctx context.Context, _ *connect.Request[identityv1.ListMyInvitationsRequest]) (*connect.Response[identityv1.ListMyInvitationsResponse], error) {
	rows, err := db.MyOpenInvitations(ctx, s.DB, rpc.CallerID(ctx), maxMyInvitations)
	if err != nil {
		return nil, err
	}
	resp := &identityv1.ListMyInvitationsResponse{}
	for i := range rows {
		resp.Invitations = append(resp.Invitations, invitationToProto(&rows[i]))
	}
	return connect.NewResponse(resp), nil
}

func errNoInvitation() error {
	return connect.NewError(connect.CodeNotFound, errors.New("organization_id: you have no open invitation to this organization"))
}

// AcceptInvitation makes the caller a member with the invited role (the
// oldest open invitation's, when they were invited by phone and by email).
func (s *organizationServer) AcceptInvitation(ctx context.Context, req *connect.Request[identityv1.AcceptInvitationRequest]) (*connect.Response[identityv1.AcceptInvitationResponse], error) {
	callerID := rpc.CallerID(ctx)
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	var (
		org  *db.Organization
		role string
	)
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.LockOrganization(ctx, tx, orgID); err != nil {
			return err
		}
		invs, err := db.MyOpenInvitationsTo(ctx, tx, orgID, callerID)
		if err != nil {
			return err
		}
		if len(invs) == 0 {
			return errNoInvitation()
		}
		if role, err = s.join(ctx, tx, &invs[0], callerID); err != nil {
			return err
		}
		if err := db.CloseInvitations(ctx, tx, invitationIDs(invs), db.InvitationAccepted, callerID); err != nil {
			return err
		}
		org, err = db.OrganizationByID(ctx, tx, orgID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.AcceptInvitationResponse{Organization: orgToProto(org, role)}), nil
}

// join writes the membership an accepted invitation grants, with its audit
// row, and returns the caller's role. A caller who became a member in the
// meantime keeps the role they have.
func (s *organizationServer) join(ctx context.Context, tx bun.Tx, inv *db.Invitation, callerID uuid.UUID) (string, error) {
	if role, err := db.MemberRole(ctx, tx, inv.OrganizationID, callerID); err == nil {
		return role, nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return "", err
	}
	m := &db.Member{ID: db.NewID(), OrganizationID: inv.OrganizationID, UserID: callerID, Role: inv.Role, AddedBy: inv.InvitedBy}
	if err := db.InsertMember(ctx, tx, m); err != nil {
		return "", err
	}
	return inv.Role, rpc.Audit(ctx, tx, &callerID, &inv.OrganizationID, "organization_member", m.ID.String(), "create",
		map[string]any{"user_id": callerID.String(), "role": inv.Role, "invitation_id": inv.ID.String()})
}

// DeclineInvitation closes the caller's open invitations to an organization.
func (s *organizationServer) DeclineInvitation(ctx context.Context, req *connect.Request[identityv1.DeclineInvitationRequest]) (*connect.Response[identityv1.DeclineInvitationResponse], error) {
	callerID := rpc.CallerID(ctx)
	orgID := uuid.MustParse(req.Msg.GetOrganizationId())
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		invs, err := db.MyOpenInvitationsTo(ctx, tx, orgID, callerID)
		if err != nil {
			return err
		}
		if len(invs) == 0 {
			return errNoInvitation()
		}
		if err := db.CloseInvitations(ctx, tx, invitationIDs(invs), db.InvitationDeclined, callerID); err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &callerID, &orgID, "organization_invitation", invs[0].ID.String(), "decline", nil)
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&identityv1.DeclineInvitationResponse{}), nil
}

func invitationIDs(invs []db.Invitation) []uuid.UUID {
	ids := make([]uuid.UUID, len(invs))
	for i := range invs {
		ids[i] = invs[i].ID
	}
	return ids
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
