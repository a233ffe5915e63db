package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/convene/convene/db"
)

func (c *cli) migrateCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, roll back or list database migrations (Convene's and River's)"}
	cmd.AddCommand(
		&cobra.Command{Use: "up", Short: "Apply every pending migration", RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withDB(cmd, func(d *db.DB) error {
				applied, err := d.MigrateUp(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "applied %d migration(s) %v\n", len(applied), applied)
				return nil
			})
		}},
		&cobra.Command{Use: "down", Short: "Roll back the last group of Convene migrations", RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withDB(cmd, func(d *db.DB) error {
				rolled, err := d.MigrateDown(cmd.Context())
				if errors.Is(err, db.ErrNothingToRollBack) {
					fmt.Fprintln(cmd.OutOrStdout(), err)
					return nil
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rolled back %v\n", rolled)
				return nil
			})
		}},
		&cobra.Command{Use: "status", Short: "List migrations and whether each is applied", RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withDB(cmd, func(d *db.DB) error {
				statuses, err := d.MigrationStatuses(cmd.Context())
				if err != nil {
					return err
				}
				for _, s := range statuses {
					state := "pending"
					if s.Applied {
						state = "applied"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-8s %s\n", state, s.Name)
				}
				return nil
			})
		}},
	)
	return cmd
}

func (c *cli) seedCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "seed",
		Short: "Load demo data (idempotent)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.withDB(cmd, func(d *db.DB) error {
				if err := db.SeedDemo(cmd.Context(), d); err != nil {
					return err
				}
				fmt.Fprintln(cmd.OutOrStdout(), "demo data loaded")
				return nil
			})
		},
	}
}

func (c *cli) withDB(cmd *cobra.Command, fn func(*db.DB) error) error {
	if err := c.cfg.RequireDatabase(); err != nil {
		return err
	}
	d, err := db.Open(cmd.Context(), c.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d)
}
