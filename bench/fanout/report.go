package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"
)

const (
	// targetRecipients in at most targetSeconds is the goal the footer
	// reports on.
	targetRecipients = 100000
	targetSeconds    = 10
	// targetCopyRatio is how many times the COPY ceiling the fan-out may
	// take.
	targetCopyRatio = 3
)

// summary is the report's last line: one JSON object for scripts.
type summary struct {
	Bench              string  `json:"bench"`
	Recipients         int     `json:"recipients"`
	Seconds            float64 `json:"seconds"`
	LastSentSeconds    float64 `json:"last_sent_seconds"`
	InboxRows          int64   `json:"inbox_rows"`
	Duplicates         int64   `json:"duplicates"`
	CopyCeilingSeconds float64 `json:"copy_ceiling_seconds"`
	RiverNoopJobsPerS  float64 `json:"river_noop_jobs_per_s"`
	PageSize           int     `json:"page_size"`
}

// round2 keeps two decimals, enough for seconds and rates in the JSON line.
func round2(x float64) float64 { return math.Round(x*100) / 100 }

// printReport writes the results as a markdown table, the target, one FAIL
// line per correctness mismatch, and as the last line the JSON summary.
func printReport(w io.Writer, o options, r results) {
	f := r.fanout
	secs := f.total.Seconds()
	rows := [][2]string{
		{"recipients", fmt.Sprint(o.recipients)},
		{"fan-out total (CreateNotificationJob → GetNotificationJob COMPLETED)", fmt.Sprintf("%.1f s", secs)},
		{"  of which: API call → last in-app notification written", fmt.Sprintf("%.1f s", f.lastSent.Seconds())},
		{"delivered in-app notifications/s (sent ÷ total)", fmt.Sprintf("%.0f", float64(f.sent)/secs)},
		{"COPY of as many inbox rows (ceiling, same run)", fmt.Sprintf("%.2f s (fan-out = %.1f×)", r.copySeconds, secs/r.copySeconds)},
		{"River no-op jobs/s (same run)", formatRate(r.noopPerSec)},
		{"items per page / pages", fmt.Sprintf("%d / %d", o.pageSize, o.recipients/o.pageSize+1)},
		{"items / sent / inbox rows / duplicates", fmt.Sprintf("%d / %d / %d / %d", f.items, f.sent, f.inbox, f.duplicates)},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, target(o, f.total, r.copySeconds))
	for _, msg := range f.failures {
		fmt.Fprintln(w, "FAIL:", msg)
	}
	line, _ := json.Marshal(summary{Bench: "fanout", Recipients: o.recipients, Seconds: round2(secs),
		LastSentSeconds: round2(f.lastSent.Seconds()), InboxRows: f.inbox, Duplicates: f.duplicates,
		CopyCeilingSeconds: round2(r.copySeconds), RiverNoopJobsPerS: math.Round(r.noopPerSec), PageSize: o.pageSize})
	fmt.Fprintln(w, string(line))
}

// target states the goal and whether this run met it; a run of another size
// is judged by the same rate.
func target(o options, total time.Duration, copySeconds float64) string {
	goal := fmt.Sprintf("Target: %d in-app notifications in at most %d s and at most %d× the COPY ceiling on 2 cores (this machine: %d CPUs).",
		targetRecipients, targetSeconds, targetCopyRatio, runtime.NumCPU())
	goal += fmt.Sprintf(" This run: %.1f× the COPY ceiling.", total.Seconds()/copySeconds)
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
