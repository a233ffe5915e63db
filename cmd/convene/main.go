// Command convene is Convene's one binary: `dev` runs everything on one
// machine; `api`, `worker` and `migrate` are the production processes.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/convene/convene/internal/config"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "convene:", err)
		os.Exit(1)
	}
}

// cli is what every subcommand shares: the configuration (env, then flags)
// and a logger built from it.
type cli struct {
	cfg config.Config
	log *slog.Logger
}

func newRootCmd() *cobra.Command {
	cfg, loadErr := config.Load(os.LookupEnv)
	c := &cli{cfg: cfg}
	root := &cobra.Command{
		Use:           "convene",
		Short:         "Convene: a backend for event communities",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if loadErr != nil {
				return loadErr
			}
			if err := c.cfg.Finalize(); err != nil {
				return err
			}
			c.log = newLogger(c.cfg.LogLevel)
			return nil
		},
	}
	c.cfg.BindFlags(root.PersistentFlags())
	root.AddCommand(c.devCmd(), c.apiCmd(), c.workerCmd(), c.migrateCmd(), c.seedCmd(), versionCmd())
	return root
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// signalContext ends on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "version",
		Short:             "Print the build's version",
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		Run: func(cmd *cobra.Command, _ []string) {
			version, revision := "(devel)", "unknown"
			if bi, ok := debug.ReadBuildInfo(); ok {
				version = bi.Main.Version
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						revision = s.Value
					}
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "convene %s (revision %s)\n", version, revision)
		},
	}
}
