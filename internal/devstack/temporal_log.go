package devstack

import (
	"context"
	"log/slog"
	"slices"

	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// temporalLogger passes the server's logs at or above min (warn while it
// runs) to slog and drops the rest: its debug and info logs would drown a
// dev console.
type temporalLogger struct {
	sl   *slog.Logger
	min  *slog.LevelVar
	tags []tag.Tag // from With, converted only when something is logged
}

var (
	_ tlog.Logger      = temporalLogger{}
	_ tlog.WithLogger  = temporalLogger{}
	_ tlog.SLogWrapper = temporalLogger{}
)

func (l temporalLogger) Debug(msg string, tags ...tag.Tag) {
	l.log(slog.LevelDebug, msg, tags)
}
func (l temporalLogger) Info(msg string, tags ...tag.Tag) {
	l.log(slog.LevelInfo, msg, tags)
}
func (l temporalLogger) Warn(msg string, tags ...tag.Tag) {
	l.log(slog.LevelWarn, msg, tags)
}
func (l temporalLogger) Error(msg string, tags ...tag.Tag) {
	l.log(slog.LevelError, msg, tags)
}

// DPanic, Panic and Fatal only log: a dev server must not take `convene dev` down.
func (l temporalLogger) DPanic(msg string, tags ...tag.Tag) { l.log(slog.LevelError, msg, tags) }
func (l temporalLogger) Panic(msg string, tags ...tag.Tag)  { l.log(slog.LevelError, msg, tags) }
func (l temporalLogger) Fatal(msg string, tags ...tag.Tag)  { l.log(slog.LevelError, msg, tags) }

func (l temporalLogger) With(tags ...tag.Tag) tlog.Logger {
	return temporalLogger{sl: l.sl, min: l.min, tags: append(slices.Clip(l.tags), tags...)}
}

// SLog is used by server parts that log through slog directly (Nexus).
func (l temporalLogger) SLog() *slog.Logger {
	return slog.New(temporalMinLevel{Handler: l.sl.Handler(), min: l.min}).
		With(temporalAttrs(l.tags)...)
}

func (l temporalLogger) log(level slog.Level, msg string, tags []tag.Tag) {
	ctx := context.Background()
	if level < l.min.Level() || !l.sl.Enabled(ctx, level) {
		return
	}
	attrs := temporalAttrs(l.tags)
	attrs = append(attrs, temporalAttrs(tags)...)
	l.sl.Log(ctx, level, msg, attrs...)
}

func temporalAttrs(tags []tag.Tag) []any {
	attrs := make([]any, 0, len(tags))
	for _, t := range tags {
		attrs = append(attrs, slog.Any(t.Key(), t.Value()))
	}
	return attrs
}

// temporalMinLevel drops records below min.
type temporalMinLevel struct {
	slog.Handler
	min slog.Leveler
}

func (h temporalMinLevel) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.min.Level() && h.Handler.Enabled(ctx, level)
}

func (h temporalMinLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return temporalMinLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h temporalMinLevel) WithGroup(name string) slog.Handler {
	return temporalMinLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
