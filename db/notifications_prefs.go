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

// Preference turns one category on one channel on or off for a user.
// No row means enabled.
type Preference struct {
	bun.BaseModel `bun:"table:notification_preferences,alias:np"`

	UserID   uuid.UUID `bun:"user_id,pk,type:uuid"`
	Category string    `bun:"category,pk"`
	Channel  string    `bun:"channel,pk"`
	Enabled  bool      `bun:"enabled,notnull"`
	Timestamps
}

// NotificationSettings holds a user's quiet hours.
type NotificationSettings struct {
	bun.BaseModel `bun:"table:notification_settings,alias:ns"`

	UserID     uuid.UUID `bun:"user_id,pk,type:uuid"`
	QuietStart *string   `bun:"quiet_start"`
	QuietEnd   *string   `bun:"quiet_end"`
	Timezone   string    `bun:"timezone,notnull"`
	Timestamps
}

// PushDevice is a device that receives push notifications.
type PushDevice struct {
	bun.BaseModel `bun:"table:push_devices,alias:pd"`

	ID         uuid.UUID  `bun:"id,pk,type:uuid"`
	UserID     uuid.UUID  `bun:"user_id,type:uuid,notnull"`
	Token      string     `bun:"token,notnull"`
	Platform   string     `bun:"platform,notnull"`
	LastSeenAt time.Time  `bun:"last_seen_at,notnull"`
	DisabledAt *time.Time `bun:"disabled_at"`
	Timestamps
}

// PreferencesOf lists a user's explicit preferences.
func PreferencesOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) ([]Preference, error) {
	var out []Preference
	if err := idb.NewSelect().Model(&out).Where("np.user_id = ?", userID).Order("category", "channel").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load preferences: %w", err)
	}
	return out, nil
}

// UpsertPreferences stores preferences.
func UpsertPreferences(ctx context.Context, idb bun.IDB, prefs []Preference) error {
	if len(prefs) == 0 {
		return nil
	}
	_, err := idb.NewInsert().Model(&prefs).On("CONFLICT (user_id, category, channel) DO UPDATE").
		Set("enabled = EXCLUDED.enabled, updated_at = now()").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	return nil
}

// ChannelEnabled reports whether a user accepts category on channel.
func ChannelEnabled(ctx context.Context, idb bun.IDB, userID uuid.UUID, category, channel string) (bool, error) {
	var enabled bool
	err := idb.NewSelect().Model((*Preference)(nil)).Column("enabled").
		Where("user_id = ? AND category = ? AND channel = ?", userID, category, channel).Scan(ctx, &enabled)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("load preference: %w", err)
	}
	return enabled, nil
}

// SettingsOf loads a user's settings; a user without a row gets defaults.
func SettingsOf(ctx context.Context, idb bun.IDB, userID uuid.UUID) (*NotificationSettings, error) {
	s := new(NotificationSettings)
	err := idb.NewSelect().Model(s).Where("ns.user_id = ?", userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return &NotificationSettings{UserID: userID, Timezone: "UTC"}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load notification settings: %w", err)
	}
	return s, nil
}

// SaveSettings stores a user's settings.
func SaveSettings(ctx context.Context, idb bun.IDB, s *NotificationSettings) error {
	_, err := idb.NewInsert().Model(s).On("CONFLICT (user_id) DO UPDATE").
		Set("quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, timezone = EXCLUDED.timezone, updated_at = now()").Exec(ctx)
	if err != nil {
		return fmt.Errorf("save notification settings: %w", err)
	}
	return nil
}

// RegisterDevice stores a push token, moving it to userID if another user
// had it (a phone changed hands) and re-enabling it.
func RegisterDevice(ctx context.Context, idb bun.IDB, d *PushDevice) (uuid.UUID, error) {
	var id uuid.UUID
	_, err := idb.NewInsert().Model(d).On("CONFLICT (token) DO UPDATE").
		Set("user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, last_seen_at = now(), disabled_at = NULL, updated_at = now()").
		Returning("id").Exec(ctx, &id)
	if err != nil {
		return uuid.Nil, fmt.Errorf("register device: %w", err)
	}
	return id, nil
}

// ActiveDevices lists a user's enabled push devices, most recent first.
func ActiveDevices(ctx context.Context, idb bun.IDB, userID uuid.UUID) ([]PushDevice, error) {
	var out []PushDevice
	err := idb.NewSelect().Model(&out).Where("pd.user_id = ? AND pd.disabled_at IS NULL", userID).Order("last_seen_at DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	return out, nil
}

// DisableDevice stops pushing to a token the provider rejected.
func DisableDevice(ctx context.Context, idb bun.IDB, id uuid.UUID) error {
	_, err := idb.NewUpdate().Model((*PushDevice)(nil)).Set("disabled_at = now(), updated_at = now()").Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("disable device: %w", err)
	}
	return nil
}
