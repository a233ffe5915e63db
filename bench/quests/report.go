package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// summary is the report's last line.
type summary struct {
	Bench             string  `json:"bench"`
	Members           int     `json:"members"`
	Concurrency       int     `json:"concurrency"`
	SubmissionsPerS   float64 `json:"submissions_per_s"`
	P50Ms             int64   `json:"p50_ms"`
	P99Ms             int64   `json:"p99_ms"`
	CeilingUpdates    float64 `json:"ceiling_updates_per_s"`
	CeilingP50Ms      int64   `json:"ceiling_p50_ms"`
	CeilingP99Ms      int64   `json:"ceiling_p99_ms"`
	Ratio             float64 `json:"ratio"`
	CompletedTasks    int     `json:"completed_tasks"`
	QuestLedgerRows   int     `json:"quest_ledger_rows"`
	FailedSubmissions int     `json:"failed_submissions"`
}

// printReport writes the results as a markdown table, one FAIL line per
// mismatch, and as the last line the JSON summary.
func printReport(w io.Writer, o options, r results) error {
	sub, ceil := r.submissions, r.ceiling
	ratio := sub.perSecond() / max(ceil.perSecond(), 1e-9)
	rows := [][2]string{
		{"members / concurrency", fmt.Sprintf("%d / %d", o.members, o.concurrency)},
		{"JoinQuest (first, starts each run): per s, p50 / p99", fmt.Sprintf("%.1f, %s / %s",
			r.joins.perSecond(), ms(r.joins.percentile(0.50)), ms(r.joins.percentile(0.99)))},
		{"failed submissions / failed repeated joins", fmt.Sprintf("%d / %d", sub.errors, ceil.errors)},
		{"wall time (first submission to last answer)", fmt.Sprintf("%.1f s", sub.wall.Seconds())},
		{"verified submissions/s", fmt.Sprintf("%.1f", sub.perSecond())},
		{"p50 / p90 / p99 / max SubmitTask→verified", fmt.Sprintf("%s / %s / %s / %s", ms(sub.percentile(0.50)),
			ms(sub.percentile(0.90)), ms(sub.percentile(0.99)), ms(sub.percentile(1)))},
		{"completed task rows / quest ledger entries", fmt.Sprintf("%d / %d", r.completedTasks, r.ledgerRows)},
		{"ceiling: repeated JoinQuest (`join` Update) on the open runs/s", fmt.Sprintf("%.1f", ceil.perSecond())},
		{"ceiling p50 / p99", fmt.Sprintf("%s / %s", ms(ceil.percentile(0.50)), ms(ceil.percentile(0.99)))},
		{"submissions/s ÷ ceiling", fmt.Sprintf("%.2f", ratio)},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, f := range r.failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
	line, err := json.Marshal(summary{Bench: "quests", Members: o.members, Concurrency: o.concurrency,
		SubmissionsPerS: sub.perSecond(), P50Ms: sub.percentile(0.50).Milliseconds(), P99Ms: sub.percentile(0.99).Milliseconds(),
		CeilingUpdates: ceil.perSecond(), CeilingP50Ms: ceil.percentile(0.50).Milliseconds(),
		CeilingP99Ms: ceil.percentile(0.99).Milliseconds(), Ratio: ratio,
		CompletedTasks: r.completedTasks, QuestLedgerRows: r.ledgerRows, FailedSubmissions: sub.errors})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
