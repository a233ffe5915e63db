package notifications

import (
	"context"
	"fmt"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
	notificationsv1 "github.com/convene/convene/proto/convene/notifications/v1"
)

// GetPreferences returns the caller's channel preferences and quiet hours.
func (s *notificationServer) GetPreferences(ctx context.Context, _ *connect.Request[notificationsv1.GetPreferencesRequest]) (*connect.Response[notificationsv1.GetPreferencesResponse], error) {
	prefs, err := loadPreferences(ctx, s.DB, rpc.CallerID(ctx))
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.GetPreferencesResponse{Preferences: prefs}), nil
}

// UpdatePreferences upserts the given entries and replaces or clears the
// quiet hours, in one transaction.
func (s *notificationServer) UpdatePreferences(ctx context.Context, req *connect.Request[notificationsv1.UpdatePreferencesRequest]) (*connect.Response[notificationsv1.UpdatePreferencesResponse], error) {
	msg, userID := req.Msg, rpc.CallerID(ctx)
	if err := checkQuietHours(msg); err != nil {
		return nil, err
	}
	if err := checkMutable(msg.GetEntries()); err != nil {
		return nil, err
	}
	entries := make([]db.Preference, 0, len(msg.GetEntries()))
	for _, e := range msg.GetEntries() {
		entries = append(entries, db.Preference{UserID: userID, Category: e.GetCategory(), Channel: channels.Name(e.GetChannel()), Enabled: e.GetEnabled()})
	}
	var prefs *notificationsv1.Preferences
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := db.UpsertPreferences(ctx, tx, entries); err != nil {
			return err
		}
		if err := saveQuietHours(ctx, tx, userID, msg); err != nil {
			return err
		}
		if err := auditPreferences(ctx, tx, userID, msg, len(entries)); err != nil {
			return err
		}
		var err error
		prefs, err = loadPreferences(ctx, tx, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.UpdatePreferencesResponse{Preferences: prefs}), nil
}

// auditPreferences records a preference change; an update that sets
// nothing changes nothing, so it leaves no audit row either.
func auditPreferences(ctx context.Context, tx bun.Tx, userID uuid.UUID, msg *notificationsv1.UpdatePreferencesRequest, entries int) error {
	if entries == 0 && msg.QuietHours == nil && !msg.GetClearQuietHours() {
		return nil
	}
	return rpc.Audit(ctx, tx, &userID, nil, "notification_preferences", userID.String(), "update",
		map[string]any{"entries": entries, "quiet_hours_set": msg.QuietHours != nil, "quiet_hours_cleared": msg.GetClearQuietHours()})
}

// checkQuietHours checks what protovalidate cannot: that the zone exists
// and the request does not both set and clear the quiet hours.
func checkQuietHours(msg *notificationsv1.UpdatePreferencesRequest) error {
	q := msg.GetQuietHours()
	if q == nil {
		return nil
	}
	if msg.GetClearQuietHours() {
		return rpc.InvalidField("clear_quiet_hours", "cannot be true while quiet_hours is set; send one of them")
	}
	// "Local" loads, but names the server's zone, not the user's.
	if _, err := time.LoadLocation(q.GetTimezone()); err != nil || q.GetTimezone() == "Local" {
		return rpc.InvalidField("quiet_hours.timezone", fmt.Sprintf("unknown time zone %q; use an IANA name such as Asia/Kolkata", q.GetTimezone()))
	}
	if q.GetStart() == q.GetEnd() {
		return rpc.InvalidField("quiet_hours.end", "must differ from start")
	}
	return nil
}

func saveQuietHours(ctx context.Context, tx bun.Tx, userID uuid.UUID, msg *notificationsv1.UpdatePreferencesRequest) error {
	if msg.QuietHours == nil && !msg.GetClearQuietHours() {
		return nil
	}
	settings, err := db.SettingsOf(ctx, tx, userID)
	if err != nil {
		return err
	}
	settings.QuietStart, settings.QuietEnd = nil, nil
	if q := msg.GetQuietHours(); q != nil {
		start, end := q.GetStart(), q.GetEnd()
		settings.QuietStart, settings.QuietEnd, settings.Timezone = &start, &end, q.GetTimezone()
	}
	return db.SaveSettings(ctx, tx, settings)
}

func loadPreferences(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*notificationsv1.Preferences, error) {
	rows, err := db.PreferencesOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	settings, err := db.SettingsOf(ctx, idb, userID)
	if err != nil {
		return nil, err
	}
	return preferencesToProto(rows, settings), nil
}

// RegisterDevice registers (or moves to the caller and re-enables) a push
// token; registering the same token again returns the same device.
func (s *notificationServer) RegisterDevice(ctx context.Context, req *connect.Request[notificationsv1.RegisterDeviceRequest]) (*connect.Response[notificationsv1.RegisterDeviceResponse], error) {
	userID, platform := rpc.CallerID(ctx), platforms.Name(req.Msg.GetPlatform())
	if platform == "" {
		return nil, rpc.InvalidField("platform", "unknown platform")
	}
	var id uuid.UUID
	err := s.DB.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		id, err = db.RegisterDevice(ctx, tx, &db.PushDevice{ID: db.NewID(), UserID: userID, Token: req.Msg.GetToken(),
			Platform: platform, LastSeenAt: s.Now()})
		if err != nil {
			return err
		}
		return rpc.Audit(ctx, tx, &userID, nil, "push_device", id.String(), "register", map[string]any{"platform": platform})
	})
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&notificationsv1.RegisterDeviceResponse{DeviceId: id.String()}), nil
}
