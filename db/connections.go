package db

// Connections between members: one row per pair (connections_pair_key),
// the daily request quota (connection_quota), and who may reach whom.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db/enums"
)

// ErrConnectionQuota is returned by CountConnectionRequest when the member
// has sent their requests of the day (connection_quota_within_limit).
var ErrConnectionQuota = errors.New("daily connection request limit reached")

// Connection directions, seen from one member: ConnectionFilter.Direction.
const (
	ConnectionsIncoming = "incoming"
	ConnectionsOutgoing = "outgoing"
)

// LockConnectionPair serialises every change to the pair's connection for
// the rest of tx, whichever of the two acts: A asking B while B asks A
// then meet one after the other, and the second sees the first's row.
func LockConnectionPair(ctx context.Context, tx bun.Tx, a, b uuid.UUID) error {
	lo, hi := orderedPair(a, b)
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "connection:"+lo.String()+":"+hi.String()); err != nil {
		return fmt.Errorf("lock connection of %s and %s: %w", a, b, err)
	}
	return nil
}

// ConnectionOfPair loads the pair's connection, whoever asked; ErrNotFound
// when they have none.
func ConnectionOfPair(ctx context.Context, idb bun.IDB, a, b uuid.UUID) (*Connection, error) {
	lo, hi := orderedPair(a, b)
	c := new(Connection)
	err := idb.NewSelect().Model(c).
		Where("least(requester_id, recipient_id) = ? AND greatest(requester_id, recipient_id) = ?", lo, hi).Scan(ctx)
	if err != nil {
		return nil, notFound(err, "connection of %s and %s", a, b)
	}
	return c, nil
}

// ConnectionByID loads a connection; ErrNotFound when none.
func ConnectionByID(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Connection, error) {
	c := new(Connection)
	if err := idb.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err, "connection %s", id)
	}
	return c, nil
}

// InsertConnection writes a pair's first connection.
func InsertConnection(ctx context.Context, idb bun.IDB, c *Connection) error {
	if _, err := idb.NewInsert().Model(c).Returning("*").Exec(ctx); err != nil {
		return fmt.Errorf("insert connection of %s and %s: %w", c.RequesterID, c.RecipientID, err)
	}
	return nil
}

// SaveConnection writes a connection's new state: who asked whom (a
// request made again turns the pair around), where, its status, note,
// block and answer.
func SaveConnection(ctx context.Context, idb bun.IDB, c *Connection) error {
	_, err := idb.NewUpdate().Model(c).
		Column("requester_id", "recipient_id", "conference_id", "status", "message", "blocked_by", "responded_at", "created_at").
		Set("updated_at = now()").WherePK().Returning("*").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save connection %s: %w", c.ID, err)
	}
	return nil
}

// CountConnectionRequest counts one more request by userID on day (UTC)
// against limit; ErrConnectionQuota when it is one too many. The CHECK
// refuses it inside the statement, so concurrent requests cannot both
// take the last one; the caller's transaction is then unusable and must
// roll back, undoing the request with it.
func CountConnectionRequest(ctx context.Context, idb bun.IDB, userID uuid.UUID, day time.Time, limit int) error {
	q := &ConnectionQuota{UserID: userID, Day: day.UTC().Truncate(24 * time.Hour), Count: 1, Limit: limit}
	_, err := idb.NewInsert().Model(q).
		On("CONFLICT (user_id, day) DO UPDATE").
		Set(`count = cq.count + 1, "limit" = EXCLUDED."limit"`).Exec(ctx)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "connection_quota_within_limit" {
		return ErrConnectionQuota
	}
	if err != nil {
		return fmt.Errorf("count connection request of %s: %w", userID, err)
	}
	return nil
}

// SharesOrganization reports whether a and b are members of one
// organization: who may ask whom to connect without a conference.
func SharesOrganization(ctx context.Context, idb bun.IDB, a, b uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().TableExpr("organization_members AS ma").
		Join("JOIN organization_members AS mb ON mb.organization_id = ma.organization_id").
		Where("ma.user_id = ? AND mb.user_id = ?", a, b).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("do %s and %s share an organization: %w", a, b, err)
	}
	return ok, nil
}

// ConferenceVisibleTo reports whether the conference exists for userID:
// they are a member of its organization or have registered for it.
func ConferenceVisibleTo(ctx context.Context, idb bun.IDB, conferenceID, userID uuid.UUID) (bool, error) {
	ok, err := idb.NewSelect().Model((*Conference)(nil)).
		Where("conf.id = ?", conferenceID).
		Where("EXISTS (SELECT 1 FROM organization_members AS m WHERE m.organization_id = conf.organization_id AND m.user_id = ?)"+
			" OR EXISTS (SELECT 1 FROM conference_attendees AS a WHERE a.conference_id = conf.id AND a.user_id = ?)", userID, userID).
		Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("can %s see conference %s: %w", userID, conferenceID, err)
	}
	return ok, nil
}

// ConnectionView is a connection with the other member's display name, as
// one member lists it.
type ConnectionView struct {
	Connection `bun:",extend"`
	OtherName  string `bun:"other_name"`
}

// ConnectionFilter selects one member's connections, newest first, after
// a page's last row.
type ConnectionFilter struct {
	UserID uuid.UUID
	// Status is one of enums.Connection*, or "" for all.
	Status string
	// Direction is ConnectionsIncoming, ConnectionsOutgoing or "" for both.
	Direction string
	// AfterCreated and AfterID are the previous page's last row; zero on
	// the first page.
	AfterCreated time.Time
	AfterID      uuid.UUID
	Limit        int
}

// ListConnections returns f.UserID's connections with the other member's
// name. A block is listed to its blocker only: the blocked member is not
// told.
func ListConnections(ctx context.Context, idb bun.IDB, f ConnectionFilter) ([]ConnectionView, error) {
	var rows []ConnectionView
	q := idb.NewSelect().Model(&rows).ColumnExpr("conn.*").ColumnExpr("coalesce(p.name, '') AS other_name").
		Join("LEFT JOIN user_profiles AS p ON p.user_id = CASE WHEN conn.requester_id = ? THEN conn.recipient_id ELSE conn.requester_id END", f.UserID).
		Where("conn.status <> ? OR conn.blocked_by = ?", enums.ConnectionBlocked, f.UserID)
	switch f.Direction {
	case ConnectionsIncoming:
		q = q.Where("conn.recipient_id = ?", f.UserID)
	case ConnectionsOutgoing:
		q = q.Where("conn.requester_id = ?", f.UserID)
	default:
		q = q.Where("conn.requester_id = ? OR conn.recipient_id = ?", f.UserID, f.UserID)
	}
	if f.Status != "" {
		q = q.Where("conn.status = ?", f.Status)
	}
	if f.AfterID != uuid.Nil {
		q = q.Where("(conn.created_at, conn.id) < (?, ?)", f.AfterCreated, f.AfterID)
	}
	if err := q.OrderExpr("conn.created_at DESC, conn.id DESC").Limit(int64(f.Limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list connections of %s: %w", f.UserID, err)
	}
	return rows, nil
}

// DisplayName is a member's profile name, "" when they set none.
func DisplayName(ctx context.Context, idb bun.IDB, userID uuid.UUID) (string, error) {
	var name string
	err := idb.NewSelect().Model((*Profile)(nil)).Column("name").Where("user_id = ?", userID).Scan(ctx, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("name of %s: %w", userID, err)
	}
	return name, nil
}

// orderedPair is the pair as the unique index keys it.
func orderedPair(a, b uuid.UUID) (uuid.UUID, uuid.UUID) {
	// Postgres orders uuids bytewise, as bytes.Compare does.
	if bytes.Compare(b[:], a[:]) < 0 {
		return b, a
	}
	return a, b
}
