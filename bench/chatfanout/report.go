package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// summary is the report's last line.
type summary struct {
	Bench          string  `json:"bench"`
	Members        int     `json:"members"`
	Streams        int     `json:"streams"`
	APIs           int     `json:"apis"`
	Messages       int     `json:"messages"`
	Senders        int     `json:"senders"`
	MessagesPerS   float64 `json:"messages_per_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
	SendP50Ms      float64 `json:"send_p50_ms"`
	SendP99Ms      float64 `json:"send_p99_ms"`
	P50Ms          float64 `json:"p50_ms"`
	P99Ms          float64 `json:"p99_ms"`
	MaxMs          float64 `json:"max_ms"`
	CeilingInserts float64 `json:"ceiling_inserts_per_s"`
	Ratio          float64 `json:"ratio"`
	Missing        int     `json:"missing"`
	Duplicates     int     `json:"duplicates"`
	OutOfOrder     int     `json:"out_of_order"`
}

// apis is the number of API processes the streams and sends are split
// over: the stack's and one peer.
const apis = 2

// printReport writes the results as a markdown table, one FAIL line per
// wrong outcome, and as the last line the JSON summary.
func printReport(w io.Writer, o options, r results) error {
	// Messages per second count a message once it has reached every
	// stream: from the first send to the last delivery.
	perS := float64(o.messages) / max(r.deliveries.wall.Seconds(), 1e-9)
	ratio := perS / max(r.ceiling.perSecond(), 1e-9)
	d, snd := r.deliveries, r.sends
	rows := [][2]string{
		{"members = streams / API processes / senders", fmt.Sprintf("%d / %d / %d", o.members, apis, o.senders)},
		{"messages sent / stored / failed sends", fmt.Sprintf("%d / %d / %d", o.messages, r.storedRows, r.sendErrors)},
		{"SendMessage answers/s, p50 / p99", fmt.Sprintf("%.1f, %s / %s", snd.perSecond(), ms(snd.percentile(0.5)), ms(snd.percentile(0.99)))},
		{"messages/s delivered to every stream (first send → last delivery)", fmt.Sprintf("%.1f in %.1f s", perS, d.wall.Seconds())},
		{"deliveries/s (message × stream)", fmt.Sprintf("%.0f", float64(len(d.latencies))/max(d.wall.Seconds(), 1e-9))},
		{"p50 / p90 / p99 / max send→delivery", fmt.Sprintf("%s / %s / %s / %s", ms(d.percentile(0.5)), ms(d.percentile(0.9)),
			ms(d.percentile(0.99)), ms(d.percentile(1)))},
		{"deliveries missing / repeated / out of order", fmt.Sprintf("%d / %d / %d", r.missing, r.duplicates, r.outOfOrder)},
		{"ceiling: raw INSERTs of the same rows/s, p50 / p99", fmt.Sprintf("%.1f, %s / %s", r.ceiling.perSecond(),
			ms(r.ceiling.percentile(0.5)), ms(r.ceiling.percentile(0.99)))},
		{"messages/s ÷ ceiling", fmt.Sprintf("%.2f", ratio)},
	}
	fmt.Fprintln(w, "| metric | value |")
	fmt.Fprintln(w, "|---|---|")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], row[1])
	}
	for _, f := range r.failures {
		fmt.Fprintln(w, "FAIL:", f)
	}
	line, err := json.Marshal(summary{Bench: "chatfanout", Members: o.members, Streams: o.members, APIs: apis,
		Messages: o.messages, Senders: o.senders, MessagesPerS: perS,
		DeliveriesPerS: float64(len(d.latencies)) / max(d.wall.Seconds(), 1e-9),
		SendP50Ms:      msf(snd.percentile(0.5)), SendP99Ms: msf(snd.percentile(0.99)),
		P50Ms: msf(d.percentile(0.5)), P99Ms: msf(d.percentile(0.99)), MaxMs: msf(d.percentile(1)),
		CeilingInserts: r.ceiling.perSecond(), Ratio: ratio,
		Missing: r.missing, Duplicates: r.duplicates, OutOfOrder: r.outOfOrder})
	if err != nil {
		return fmt.Errorf("encode summary: %w", err)
	}
	_, err = fmt.Fprintln(w, string(line))
	return err
}

// ms formats d in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", msf(d)) }

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
