package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

const (
	// targetRecipients in at most targetSeconds is the goal the footer
	// reports on.
	targetRecipients = 100000
	targetSeconds    = 30
)

// printReport writes the results as a markdown table, the target, then one
// FAIL line per correctness mismatch.
func printReport(w io.Writer, o options, r results) {
	f := r.fanout
	secs := f.total.Seconds()
	rows := [][2]string{
		{"recipients", fmt.Sprint(o.recipients)},
		{"fan-out total (CreateNotificationJob → GetNotificationJob COMPLETED)", fmt.Sprintf("%.1f s", secs)},
		{"  of which: API call → last in-app notification written", fmt.Sprintf("%.1f s", f.lastSent.Seconds())},
		{"delivered in-app notifications/s (sent ÷ total)", fmt.Sprintf("%.0f", float64(f.sent)/secs)},
		{"River no-op jobs/s (ceiling, same machine)", formatRate(r.noopPerSec)},
		{"items per page / pages", fmt.Sprintf("%d / %d", o.pageSize, o.recipients/o.pageSize+1)},
		{"items / sent / inbox rows", fmt.Sprintf("%d / %d / %d", f.items, f.sent, f.inbox)},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, target(o, f.total))
	for _, msg := range f.failures {
		fmt.Fprintln(w, "FAIL:", msg)
	}
}

// target states the goal and whether this run met it; a run of another size
// is judged by the same rate.
func target(o options, total time.Duration) string {
	goal := fmt.Sprintf("Target: %d in-app notifications in at most %d s on 2 cores (this machine: %d CPUs).",
		targetRecipients, targetSeconds, runtime.NumCPU())
	if o.recipients == targetRecipients {
		if total.Seconds() <= targetSeconds {
			return goal + fmt.Sprintf(" Met: %.1f s.", total.Seconds())
		}
		return goal + fmt.Sprintf(" Not met: %.1f s.", total.Seconds())
	}
	need := float64(targetRecipients) / targetSeconds
	got := float64(o.recipients) / total.Seconds()
	verdict := "on pace"
	if got < need {
		verdict = "not on pace"
	}
	return goal + fmt.Sprintf(" Not measured at %d recipients; this run's %.0f/s vs the %.0f/s the target needs: %s.",
		o.recipients, got, need, verdict)
}

func formatRate(r float64) string {
	if r == 0 {
		return "skipped"
	}
	return fmt.Sprintf("%.0f", r)
}
