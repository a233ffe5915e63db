package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// printReport writes the results as a markdown table, then one FAIL line
// per correctness mismatch.
func printReport(w io.Writer, o options, r results) {
	res := r.rush
	secs := res.wall.Seconds()
	rows := [][2]string{
		{"buyers / capacity / concurrency", fmt.Sprintf("%d / %d / %d", o.buyers, o.capacity, o.concurrency)},
		{"Temporal store", o.temporalStore},
		{"confirmed orders", fmt.Sprint(res.accepted)},
		{"waitlisted", fmt.Sprint(res.waitlisted)},
		{"errors", fmt.Sprint(res.errors + res.other)},
		{"wall time", fmt.Sprintf("%.1f s", secs)},
		{"confirmed orders/s", fmt.Sprintf("%.1f", float64(res.accepted)/secs)},
		{"requests/s (all outcomes)", fmt.Sprintf("%.1f", float64(len(res.latencies)+res.errors)/secs)},
		{"p50 / p99 RequestToJoin→ticket", formatLatency(res.percentile(0.50)) + " / " + formatLatency(res.percentile(0.99))},
		{"event-row updates/s during the rush (pg_stat)", fmt.Sprintf("%.0f", float64(r.eventRowUpdates)/secs)},
		{"Postgres hot-row updates/s (pgbench, same machine)", formatTPS(r.hotRowTPS)},
		{"ticket-order workflows started (Temporal visibility)", fmt.Sprint(r.backlog.started)},
		{"rush start → every workflow listed", fmt.Sprintf("%.1f s", r.backlog.drain.Seconds())},
		{"order workflows/s", fmt.Sprintf("%.1f", r.backlog.workflowsPerSecond())},
		{"trivial workflows/s (Temporal ceiling, same server)", formatTPS(r.temporalCeiling)},
		{"admissions/s, single event row (every answer)", fmt.Sprintf("%.1f", float64(len(res.latencies))/secs)},
	}
	rows = append(rows, bucketedRows(r)...)
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

// bucketedRows are the table rows of the bucketed rush, beside the
// single-row figures above them.
func bucketedRows(r results) [][2]string {
	b := r.bucketed
	ratio := b.admissionsPerSecond() / (float64(len(r.rush.latencies)) / r.rush.wall.Seconds())
	return [][2]string{
		{"bucketed event: seat buckets (same capacity, fresh buyers)", fmt.Sprint(b.buckets)},
		{"bucketed: confirmed / waitlisted", fmt.Sprintf("%d / %d", b.rush.accepted, b.rush.waitlisted)},
		{"bucketed: admissions/s (every answer)", fmt.Sprintf("%.1f", b.admissionsPerSecond())},
		{"bucketed: p50 / p99 RequestToJoin", formatLatency(b.rush.percentile(0.50)) + " / " + formatLatency(b.rush.percentile(0.99))},
		{"bucketed / single-row admissions/s", fmt.Sprintf("%.2f×", ratio)},
	}
}

// summary is the last line of the output: the figures of issue 9 section 5.
type summary struct {
	Bench                        string   `json:"bench"`
	Buyers                       int      `json:"buyers"`
	Capacity                     int      `json:"capacity"`
	AdmissionsPerS               float64  `json:"admissions_per_s"`
	AdmissionP50Ms               int64    `json:"admission_p50_ms"`
	AdmissionP99Ms               int64    `json:"admission_p99_ms"`
	Tickets                      int      `json:"tickets"`
	Waitlisted                   int      `json:"waitlisted"`
	Oversold                     int      `json:"oversold"`
	WorkflowsStarted             int64    `json:"workflows_started"`
	WorkflowBacklogDrainS        float64  `json:"workflow_backlog_drain_s"`
	WorkflowsPerS                float64  `json:"workflows_per_s"`
	TemporalCeilingWorkflowsPerS float64  `json:"temporal_ceiling_workflows_per_s"`
	PgbenchHotRowTPS             float64  `json:"pgbench_hot_row_tps"`
	BucketedAdmissionsPerS       *float64 `json:"bucketed_admissions_per_s"`
	TemporalStore                string   `json:"temporal_store"`
}

// printJSON writes the summary as one line of JSON. Admissions are every
// answered RequestToJoin (ticket or waitlist place) per second of wall time;
// tickets and waitlisted come from the database.
func printJSON(w io.Writer, o options, r results) error {
	res := r.rush
	line, err := json.Marshal(summary{
		Bench: "ticketrush", Buyers: o.buyers, Capacity: o.capacity,
		AdmissionsPerS: round1(float64(len(res.latencies)) / res.wall.Seconds()),
		AdmissionP50Ms: res.percentile(0.50).Milliseconds(), AdmissionP99Ms: res.percentile(0.99).Milliseconds(),
		Tickets: r.check.tickets, Waitlisted: r.check.waitlistedRows, Oversold: max(0, r.check.tickets-o.capacity),
		WorkflowsStarted: r.backlog.started, WorkflowBacklogDrainS: round1(r.backlog.drain.Seconds()),
		WorkflowsPerS: round1(r.backlog.workflowsPerSecond()), TemporalCeilingWorkflowsPerS: round1(r.temporalCeiling),
		PgbenchHotRowTPS: round1(r.hotRowTPS), TemporalStore: o.temporalStore,
		BucketedAdmissionsPerS: new(round1(r.bucketed.admissionsPerSecond())),
	})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
