package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// Teams and channels (migration 20261204000500_engagement_teams). Member
// counts are kept by triggers; a member's first team becomes their
// primary team (user_points.team_id, the team leaderboard).

// ErrTeamNameTaken is returned by InsertTeam for a name the organization
// already uses (case-insensitively).
var ErrTeamNameTaken = errors.New("the organization already has a team of this name")

// ErrChannelNameTaken is returned by InsertChannel for a name already used
// in the same team (or organization-wide).
var ErrChannelNameTaken = errors.New("a channel of this name already exists here")

// ErrAlreadyTeamMember is returned by AddTeamMember for a member already
// on the team.
var ErrAlreadyTeamMember = errors.New("already a member of this team")

// Team is a group of an organization's members.
type Team struct {
	bun.BaseModel `bun:"table:teams,alias:tm"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	Name           string     `bun:"name,notnull"`
	Description    string     `bun:"description,notnull"`
	MemberCount    int        `bun:"member_count,notnull"`
	CreatedBy      *uuid.UUID `bun:"created_by,type:uuid"`
	ArchivedAt     *time.Time `bun:"archived_at"`
	Timestamps
}

// TeamMembership is one member on one team, with their team role
// (enums.TeamRole*).
type TeamMembership struct {
	bun.BaseModel `bun:"table:team_memberships,alias:tms"`

	ID             uuid.UUID `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	TeamID         uuid.UUID `bun:"team_id,type:uuid,notnull"`
	UserID         uuid.UUID `bun:"user_id,type:uuid,notnull"`
	Role           string    `bun:"role,notnull"`
	Timestamps
}

// Channel is a conversation space of a team, or of the whole organization
// when TeamID is nil.
type Channel struct {
	bun.BaseModel `bun:"table:channels,alias:ch"`

	ID             uuid.UUID  `bun:"id,pk,type:uuid"`
	OrganizationID uuid.UUID  `bun:"organization_id,type:uuid,notnull"`
	TeamID         *uuid.UUID `bun:"team_id,type:uuid"`
	Name           string     `bun:"name,notnull"`
	Description    string     `bun:"description,notnull"`
	Open           bool       `bun:"open,notnull"`
	MemberCount    int        `bun:"member_count,notnull"`
	CreatedBy      *uuid.UUID `bun:"created_by,type:uuid"`
	Timestamps
}

// ChannelMember is one member in one channel.
type ChannelMember struct {
	bun.BaseModel `bun:"table:channel_members,alias:chm"`

	OrganizationID uuid.UUID `bun:"organization_id,type:uuid,notnull"`
	ChannelID      uuid.UUID `bun:"channel_id,pk,type:uuid"`
	UserID         uuid.UUID `bun:"user_id,pk,type:uuid"`
	CreatedAt      time.Time `bun:"created_at,nullzero,notnull,default:now()"`
}

// InsertTeam writes a new team; a name in use is ErrTeamNameTaken.
func InsertTeam(ctx context.Context, idb bun.IDB, t *Team) error {
	if t.ID == uuid.Nil {
		t.ID = NewID()
	}
	_, err := idb.NewInsert().Model(t).Returning("member_count, created_at, updated_at").Exec(ctx)
	if IsUniqueViolation(err, "teams_name_key") {
		return fmt.Errorf("team %q: %w", t.Name, ErrTeamNameTaken)
	}
	if err != nil {
		return fmt.Errorf("insert team %q: %w", t.Name, err)
	}
	return nil
}

// TeamByID returns a team of any organization; the caller checks access.
func TeamByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Team, error) {
	var t Team
	err := idb.NewSelect().Model(&t).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("team %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("team %s: %w", id, err)
	}
	return &t, nil
}

// TeamsPage lists an organization's teams by (name, id) after the given
// key, at most limit rows.
func TeamsPage(ctx context.Context, idb bun.IDB, orgID uuid.UUID, afterName string, afterID uuid.UUID, limit int) ([]Team, error) {
	var teams []Team
	q := idb.NewSelect().Model(&teams).Where("organization_id = ?", orgID)
	if afterID != uuid.Nil {
		q = q.Where("(name, id) > (?, ?)", afterName, afterID)
	}
	if err := q.OrderExpr("name, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list teams of %s: %w", orgID, err)
	}
	return teams, nil
}

// TeamRoleOf returns a member's role on a team, or ErrNotFound.
func TeamRoleOf(ctx context.Context, idb bun.IDB, teamID, userID uuid.UUID) (string, error) {
	var role string
	err := idb.NewSelect().Model((*TeamMembership)(nil)).Column("role").
		Where("team_id = ? AND user_id = ?", teamID, userID).Scan(ctx, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("membership of %s in team %s: %w", userID, teamID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("membership of %s in team %s: %w", userID, teamID, err)
	}
	return role, nil
}

// AddTeamMember puts m on its team (ErrAlreadyTeamMember if they are) and
// makes the team the member's primary one if they have none, creating
// their user_points row (zero points) if absent.
func AddTeamMember(ctx context.Context, tx bun.Tx, m *TeamMembership) error {
	if m.ID == uuid.Nil {
		m.ID = NewID()
	}
	res, err := tx.NewInsert().Model(m).On("CONFLICT (team_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("add %s to team %s: %w", m.UserID, m.TeamID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("add %s to team %s: %w", m.UserID, m.TeamID, err)
	} else if n == 0 {
		return fmt.Errorf("%s in team %s: %w", m.UserID, m.TeamID, ErrAlreadyTeamMember)
	}
	_, err = tx.NewRaw(`INSERT INTO user_points (organization_id, user_id, team_id) VALUES (?, ?, ?)
		ON CONFLICT (organization_id, user_id) DO UPDATE SET team_id = EXCLUDED.team_id, updated_at = now()
		WHERE user_points.team_id IS NULL`, m.OrganizationID, m.UserID, m.TeamID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set primary team of %s: %w", m.UserID, err)
	}
	return nil
}

// RemoveTeamMember takes a member off a team and reports whether they were
// on it. If it was their primary team, their oldest remaining team (or
// none) becomes it.
func RemoveTeamMember(ctx context.Context, tx bun.Tx, orgID, teamID, userID uuid.UUID) (bool, error) {
	res, err := tx.NewDelete().Model((*TeamMembership)(nil)).Where("team_id = ? AND user_id = ?", teamID, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remove %s from team %s: %w", userID, teamID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	_, err = tx.NewRaw(`UPDATE user_points SET updated_at = now(), team_id = (
			SELECT team_id FROM team_memberships WHERE organization_id = ? AND user_id = ? ORDER BY created_at, id LIMIT 1)
		WHERE organization_id = ? AND user_id = ? AND team_id = ?`, orgID, userID, orgID, userID, teamID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("reset primary team of %s: %w", userID, err)
	}
	return true, nil
}

// SetTeamRole changes a member's team role; ErrNotFound if they are not
// on the team.
func SetTeamRole(ctx context.Context, idb bun.IDB, teamID, userID uuid.UUID, role string) (*TeamMembership, error) {
	var m TeamMembership
	err := idb.NewUpdate().Model(&m).Set("role = ?", role).Set("updated_at = now()").
		Where("team_id = ? AND user_id = ?", teamID, userID).Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("membership of %s in team %s: %w", userID, teamID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("set team role of %s: %w", userID, err)
	}
	return &m, nil
}

// TeamMembersPage lists a team's members by (joined, id) after the given
// key, at most limit rows.
func TeamMembersPage(ctx context.Context, idb bun.IDB, teamID uuid.UUID, after time.Time, afterID uuid.UUID, limit int) ([]TeamMembership, error) {
	var ms []TeamMembership
	q := idb.NewSelect().Model(&ms).Where("team_id = ?", teamID)
	if afterID != uuid.Nil {
		q = q.Where("(created_at, id) > (?, ?)", after, afterID)
	}
	if err := q.OrderExpr("created_at, id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list members of team %s: %w", teamID, err)
	}
	return ms, nil
}

// InsertChannel writes a new channel; a name in use is
// ErrChannelNameTaken.
func InsertChannel(ctx context.Context, idb bun.IDB, c *Channel) error {
	if c.ID == uuid.Nil {
		c.ID = NewID()
	}
	_, err := idb.NewInsert().Model(c).Returning("member_count, created_at, updated_at").Exec(ctx)
	if IsUniqueViolation(err, "channels_name_key") {
		return fmt.Errorf("channel %q: %w", c.Name, ErrChannelNameTaken)
	}
	if err != nil {
		return fmt.Errorf("insert channel %q: %w", c.Name, err)
	}
	return nil
}

// ChannelByID returns a channel of any organization; the caller checks
// access.
func ChannelByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Channel, error) {
	var c Channel
	err := idb.NewSelect().Model(&c).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("channel %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", id, err)
	}
	return &c, nil
}

// JoinChannel adds a member to a channel and reports whether they were
// not in it yet.
func JoinChannel(ctx context.Context, idb bun.IDB, m *ChannelMember) (bool, error) {
	res, err := idb.NewInsert().Model(m).On("CONFLICT (channel_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("join %s to channel %s: %w", m.UserID, m.ChannelID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// LeaveChannel removes a member from a channel and reports whether they
// were in it.
func LeaveChannel(ctx context.Context, idb bun.IDB, channelID, userID uuid.UUID) (bool, error) {
	res, err := idb.NewDelete().Model((*ChannelMember)(nil)).Where("channel_id = ? AND user_id = ?", channelID, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remove %s from channel %s: %w", userID, channelID, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ChannelMemberCount returns the channel's trigger-kept member count.
func ChannelMemberCount(ctx context.Context, idb bun.IDB, channelID uuid.UUID) (int, error) {
	var n int
	if err := idb.NewSelect().Model((*Channel)(nil)).Column("member_count").Where("id = ?", channelID).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("member count of channel %s: %w", channelID, err)
	}
	return n, nil
}
