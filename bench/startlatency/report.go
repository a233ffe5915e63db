package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/convene/convene/bench/internal/stack"
)

// printReport writes the results as a markdown table, one FAIL line per
// mismatch, and as the last line the JSON summary.
func printReport(w io.Writer, o options, r results) error {
	rows := [][2]string{
		{"calls / concurrency", fmt.Sprintf("%d / %d", o.calls, o.concurrency)},
		{"failed calls", fmt.Sprint(r.errors)},
		{"wall time", fmt.Sprintf("%.1f s", r.wall.Seconds())},
		{"calls/s", fmt.Sprintf("%.1f", float64(len(r.latencies))/r.wall.Seconds())},
		{"p50 / p90 / p99 / max CreateNotificationJob", fmt.Sprintf("%s / %s / %s / %s", ms(r.percentile(0.50)),
			ms(r.percentile(0.90)), ms(r.percentile(0.99)), ms(r.percentile(1)))},
		{"notification_jobs rows / workflows listed", fmt.Sprintf("%d / %d", r.jobs, r.workflows)},
		{"ceiling: p50 / p90 / p99 / max bare StartWorkflow (same run)", fmt.Sprintf("%s / %s / %s / %s",
			ms(stack.Percentile(r.ceiling, 0.50)), ms(stack.Percentile(r.ceiling, 0.90)),
			ms(stack.Percentile(r.ceiling, 0.99)), ms(stack.Percentile(r.ceiling, 1)))},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, f := range r.failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
	line, err := json.Marshal(summary{Bench: "startlatency", Calls: o.calls, Concurrency: o.concurrency,
		P50Ms: r.percentile(0.50).Milliseconds(), P99Ms: r.percentile(0.99).Milliseconds(),
		CeilingP50Ms: stack.Percentile(r.ceiling, 0.50).Milliseconds(), CeilingP99Ms: stack.Percentile(r.ceiling, 0.99).Milliseconds()})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

// summary is the last line of the output (issue 9 section 5).
type summary struct {
	Bench       string `json:"bench"`
	Calls       int    `json:"calls"`
	Concurrency int    `json:"concurrency"`
	P50Ms       int64  `json:"p50_ms"`
	P99Ms       int64  `json:"p99_ms"`
	// CeilingP50Ms and CeilingP99Ms are bare StartWorkflow calls on the
	// same Temporal in the same run, at the same concurrency.
	CeilingP50Ms int64 `json:"ceiling_p50_ms"`
	CeilingP99Ms int64 `json:"ceiling_p99_ms"`
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
