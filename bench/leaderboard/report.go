package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// results are everything measured.
type results struct {
	reads  []readResult
	plans  []plan
	writes writeResults
}

// p99Target is the bound on every read's p99.
const p99Target = 20 * time.Millisecond

// failures are the checks that did not hold: a plan that sorts, failed
// calls. A p99 above the target is reported, not failed (the machine may
// be shared).
func (r results) failures() []string {
	var out []string
	for _, p := range r.plans {
		if p.sorts() {
			out = append(out, "the plan of "+p.name+" sorts")
		}
	}
	for _, rr := range r.reads {
		if rr.errors > 0 {
			out = append(out, fmt.Sprintf("%s: %d calls failed, first: %v", rr.name, rr.errors, rr.firstErr))
		}
	}
	if r.writes.errors > 0 {
		out = append(out, fmt.Sprintf("%d ledger writes failed, first: %v", r.writes.errors, r.writes.firstErr))
	}
	return out
}

// summary is the report's last line.
type summary struct {
	Bench            string  `json:"bench"`
	Members          int     `json:"members"`
	Teams            int     `json:"teams"`
	Calls            int     `json:"calls"`
	Top50P50Ms       float64 `json:"top50_p50_ms"`
	Top50P99Ms       float64 `json:"top50_p99_ms"`
	MonthP99Ms       float64 `json:"month_p99_ms"`
	DeepP99Ms        float64 `json:"deep_p99_ms"`
	TeamP99Ms        float64 `json:"team_p99_ms"`
	RankP99Ms        float64 `json:"rank_p99_ms"`
	PlansSort        bool    `json:"plans_sort"`
	LedgerRandomPerS float64 `json:"ledger_random_per_s"`
	LedgerHotPerS    float64 `json:"ledger_hot_per_s"`
	PgbenchInsertTPS float64 `json:"pgbench_insert_tps"`
	PgbenchHotTPS    float64 `json:"pgbench_hot_row_tps"`
}

// printReport writes the plans, a markdown table, one FAIL line per failed
// check and, last, the JSON summary.
func printReport(w io.Writer, o options, r results) error {
	sorts := false
	for _, p := range r.plans {
		fmt.Fprintf(w, "EXPLAIN %s:\n", p.name)
		for _, l := range p.lines {
			fmt.Fprintln(w, "    "+l)
		}
		sorts = sorts || p.sorts()
	}
	fmt.Fprintf(w, "\n%d members, %d teams, %d calls of each read, %d at a time\n\n", o.members, o.teams, o.calls, o.concurrency)
	fmt.Fprintln(w, "| call | p50 | p99 | max | failed |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, rr := range r.reads {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d |\n", rr.name, ms(rr.percentile(0.5)), ms(rr.percentile(0.99)), ms(rr.percentile(1)), rr.errors)
	}
	fmt.Fprintf(w, "\n| writes, %d at a time, %d s each | per second |\n|---|---|\n", o.writers, o.writeSeconds)
	fmt.Fprintf(w, "| ledger entries (Award, own tx), random members | %.1f |\n", r.writes.randomLedger)
	fmt.Fprintf(w, "| ledger entries (Award, own tx), one hot member | %.1f |\n", r.writes.hotLedger)
	fmt.Fprintf(w, "| pgbench one-row inserts | %.1f |\n", r.writes.pgbenchInsert)
	fmt.Fprintf(w, "| pgbench hot-row updates | %.1f |\n", r.writes.pgbenchHot)
	for _, f := range r.failures() {
		fmt.Fprintln(w, "FAIL:", f)
	}
	for _, rr := range r.reads {
		if rr.percentile(0.99) > p99Target {
			fmt.Fprintf(w, "NOTE: %s p99 %s is above the %s target\n", rr.name, ms(rr.percentile(0.99)), ms(p99Target))
		}
	}
	p99 := func(i int) float64 { return msf(r.reads[i].percentile(0.99)) }
	line, err := json.Marshal(summary{Bench: "leaderboard", Members: o.members, Teams: o.teams, Calls: o.calls,
		Top50P50Ms: msf(r.reads[0].percentile(0.5)), Top50P99Ms: p99(0), MonthP99Ms: p99(1), DeepP99Ms: p99(2),
		TeamP99Ms: p99(3), RankP99Ms: p99(4), PlansSort: sorts, LedgerRandomPerS: r.writes.randomLedger,
		LedgerHotPerS: r.writes.hotLedger, PgbenchInsertTPS: r.writes.pgbenchInsert, PgbenchHotTPS: r.writes.pgbenchHot})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", msf(d)) }
