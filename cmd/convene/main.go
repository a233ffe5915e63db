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

// app is what every subcommand shares: the configuration (env, then flags)
// and a logger built from it.
type app struct {
	cfg config.Config
	log *slog.Logger
}

func newRootCmd() *cobra.Command {
	cfg, loadErr := config.Load(os.LookupEnv)
	a := &app{cfg: cfg}
	root := &cobra.Command{
		Use:           "convene",
		Short:         "Convene: a backend for event communities",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if loadErr != nil {
				return loadErr
			}
			if err := a.cfg.Finalize(); err != nil {
				return err
			}
			a.log = newLogger(a.cfg.LogLevel)
			return nil
		},
	}
	a.cfg.BindFlags(root.PersistentFlags())
	root.AddCommand(a.devCmd(), a.apiCmd(), a.workerCmd(), a.migrateCmd(), a.seedCmd(), versionCmd())
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
