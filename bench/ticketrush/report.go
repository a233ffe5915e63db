package main

import (
	"fmt"
	"io"
	"time"
)

// printReport writes the results as a markdown table, then one FAIL line
// per correctness mismatch.
func printReport(w io.Writer, o options, r results) {
	res := r.rush
	secs := res.wall.Seconds()
	rows := [][2]string{
		{"buyers / capacity / concurrency", fmt.Sprintf("%d / %d / %d", o.buyers, o.capacity, o.concurrency)},
		{"confirmed orders", fmt.Sprint(res.accepted)},
		{"waitlisted", fmt.Sprint(res.waitlisted)},
		{"errors", fmt.Sprint(res.errors + res.other)},
		{"wall time", fmt.Sprintf("%.1f s", secs)},
		{"confirmed orders/s", fmt.Sprintf("%.1f", float64(res.accepted)/secs)},
		{"requests/s (all outcomes)", fmt.Sprintf("%.1f", float64(len(res.latencies)+res.errors)/secs)},
		{"p50 / p99 RequestToJoin→ticket", formatLatency(res.percentile(0.50)) + " / " + formatLatency(res.percentile(0.99))},
		{"event-row updates/s during the rush (pg_stat)", fmt.Sprintf("%.0f", float64(r.eventRowUpdates)/secs)},
		{"Postgres hot-row updates/s (pgbench, same machine)", formatTPS(r.hotRowTPS)},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, f := range r.check.failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
}

// formatLatency prints sub-second durations in ms, longer ones in seconds.
func formatLatency(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func formatTPS(tps float64) string {
	if tps == 0 {
		return "skipped"
	}
	return fmt.Sprintf("%.0f", tps)
}
