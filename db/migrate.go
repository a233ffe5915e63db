package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/migrate"

	"github.com/convene/convene/db/migrations"
)

// MigrationStatus is one Convene migration and whether it is applied.
type MigrationStatus struct {
	Name    string
	Applied bool
}

// ErrNothingToRollBack means every Convene migration is already rolled back.
var ErrNothingToRollBack = errors.New("no applied migrations to roll back")

func (d *DB) migrator() (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(migrations.FS); err != nil {
		return nil, fmt.Errorf("discover migrations: %w", err)
	}
	// Mark applied only on success so a failed migration is retried, not skipped.
	return migrate.NewMigrator(d.DB, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// MigrateUp applies River's migrations then every pending Convene migration,
// under Bun's migration lock so concurrent deploys do not race. It returns
// the names of the Convene migrations it applied.
func (d *DB) MigrateUp(ctx context.Context) ([]string, error) {
	if err := d.migrateRiver(ctx, rivermigrate.DirectionUp); err != nil {
		return nil, err
	}
	m, err := d.lockedMigrator(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock(ctx, m)
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	return migrationNames(group), nil
}

// MigrateDown rolls back the last applied group of Convene migrations.
// River's tables are left alone: other tools may share them.
func (d *DB) MigrateDown(ctx context.Context) ([]string, error) {
	m, err := d.lockedMigrator(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock(ctx, m)
	group, err := m.Rollback(ctx)
	if err != nil {
		return nil, fmt.Errorf("roll back migrations: %w", err)
	}
	if group.IsZero() {
		return nil, ErrNothingToRollBack
	}
	return migrationNames(group), nil
}

// MigrationStatuses lists every Convene migration with its state.
func (d *DB) MigrationStatuses(ctx context.Context) ([]MigrationStatus, error) {
	m, err := d.migrator()
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("init migration tables: %w", err)
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("read migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(ms))
	for _, mg := range ms {
		out = append(out, MigrationStatus{Name: mg.Name + "_" + mg.Comment, Applied: mg.IsApplied()})
	}
	return out, nil
}

func (d *DB) lockedMigrator(ctx context.Context) (*migrate.Migrator, error) {
	m, err := d.migrator()
	if err != nil {
		return nil, err
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("init migration tables: %w", err)
	}
	if err := m.Lock(ctx); err != nil {
		return nil, fmt.Errorf("take migration lock (another migrate running?): %w", err)
	}
	return m, nil
}

func unlock(ctx context.Context, m *migrate.Migrator) { _ = m.Unlock(ctx) }

func (d *DB) migrateRiver(ctx context.Context, dir rivermigrate.Direction) error {
	rm, err := rivermigrate.New(d.RiverDriver(), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := rm.Migrate(ctx, dir, nil); err != nil {
		return fmt.Errorf("river migrations %s: %w", dir, err)
	}
	return nil
}

func migrationNames(g *migrate.MigrationGroup) []string {
	names := make([]string, 0, len(g.Migrations))
	for _, m := range g.Migrations {
		names = append(names, m.Name+"_"+m.Comment)
	}
	return names
}
