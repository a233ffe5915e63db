package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/convene/convene/bench/internal/stack"
)

// summary is the report's last line.
type summary struct {
	Bench          string  `json:"bench"`
	Approves       int     `json:"approves"`
	Concurrency    int     `json:"concurrency"`
	ApprovesPerS   float64 `json:"approves_per_s"`
	P50Ms          int64   `json:"p50_ms"`
	P99Ms          int64   `json:"p99_ms"`
	CeilingUpdates float64 `json:"ceiling_updates_per_s"`
}

// printReport writes the results as a markdown table, one FAIL line per
// mismatch, and as the last line the JSON summary.
func printReport(w io.Writer, o options, r results) error {
	perSecond := float64(len(r.latencies)) / r.wall.Seconds()
	var busy time.Duration
	for _, d := range r.latencies {
		busy += d
	}
	rows := [][2]string{
		{"items × steps × approvers / concurrency", fmt.Sprintf("%d × %d × %d / %d", o.items, steps, approversPerStep, o.concurrency)},
		{"failed calls", fmt.Sprint(r.errors)},
		{"wall time (first vote to last)", fmt.Sprintf("%.1f s", r.wall.Seconds())},
		{"mean Approve calls in flight", fmt.Sprintf("%.1f", busy.Seconds()/r.wall.Seconds())},
		{"approves/s", fmt.Sprintf("%.1f", perSecond)},
		{"p50 / p90 / p99 / max Approve", fmt.Sprintf("%s / %s / %s / %s", ms(r.percentile(0.50)), ms(r.percentile(0.90)),
			ms(r.percentile(0.99)), ms(r.percentile(1)))},
		{"p50 / p99 step hand-off (last vote → next step assigned)", fmt.Sprintf("%s / %s",
			ms(stack.Percentile(r.handOffs, 0.50)), ms(stack.Percentile(r.handOffs, 0.99)))},
		{"approve rows / approved requests", fmt.Sprintf("%d / %d", r.votes, r.approved)},
		{"ceiling: trivial Updates/s, same Temporal", fmt.Sprintf("%.1f", r.ceiling)},
		{"approves/s ÷ ceiling", fmt.Sprintf("%.2f", perSecond/max(r.ceiling, 1e-9))},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, f := range r.failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
	line, err := json.Marshal(summary{Bench: "approvals", Approves: len(r.latencies), Concurrency: o.concurrency,
		ApprovesPerS: perSecond, P50Ms: r.percentile(0.50).Milliseconds(), P99Ms: r.percentile(0.99).Milliseconds(),
		CeilingUpdates: r.ceiling})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
