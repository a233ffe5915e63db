package conferences

// The agenda as iCalendar (RFC 5545): GET /conferences/<slug>/agenda.ics,
// no login, one VEVENT per scheduled item in UTC, with the public
// agenda's ETag. Written by hand: the format needs only escaping and
// line folding.

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"strings"

	"connectrpc.com/connect"
	"github.com/uptrace/bun"

	"github.com/convene/convene/api/rpc"
	"github.com/convene/convene/db"
)

// icalTime is an iCalendar UTC date-time.
const icalTime = "20060102T150405Z"

// icalLineOctets is the longest content line RFC 5545 allows before
// folding.
const icalLineOctets = 75

// slugPattern is what conferences.slug accepts.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// agendaICalRoute serves a public conference's agenda as iCalendar.
func agendaICalRoute(d Deps) rpc.Route {
	return rpc.Route{Pattern: "GET /conferences/{slug}/agenda.ics", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slug := r.PathValue("slug")
		if len(slug) > 100 || !slugPattern.MatchString(slug) {
			http.NotFound(w, r)
			return
		}
		var c *db.Conference
		var items []db.AgendaItem
		err := d.DB.RunInTx(r.Context(), &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx bun.Tx) error {
			var err error
			if c, err = publicConference(ctx, tx, slug); err != nil {
				return err
			}
			if notModified(r.Method, r.Header, c.AgendaVersion) {
				return nil
			}
			items, err = db.ScheduledAgenda(ctx, tx, db.AgendaFilter{ConferenceID: c.ID})
			return err
		})
		if connect.CodeOf(err) == connect.CodeNotFound {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			d.Log.ErrorContext(r.Context(), "serve agenda.ics", "slug", slug, "error", err)
			http.Error(w, "the agenda could not be read; try again", http.StatusServiceUnavailable)
			return
		}
		setETag(w.Header(), c.AgendaVersion)
		if notModified(r.Method, r.Header, c.AgendaVersion) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Content-Disposition", `inline; filename="`+slug+`.ics"`)
		// A write error means the client went away; nothing is left to tell it.
		_, _ = w.Write([]byte(agendaICal(c, items)))
	})}
}

// agendaICal is the VCALENDAR of a conference's scheduled items.
func agendaICal(c *db.Conference, items []db.AgendaItem) string {
	var b strings.Builder
	line := func(name, value string) { b.WriteString(foldICalLine(name + ":" + value)) }
	line("BEGIN", "VCALENDAR")
	line("VERSION", "2.0")
	line("PRODID", "-//Convene//Conference agenda//EN")
	line("CALSCALE", "GREGORIAN")
	line("METHOD", "PUBLISH")
	line("X-WR-CALNAME", escapeICalText(c.Name))
	line("X-WR-TIMEZONE", escapeICalText(c.Timezone))
	for i := range items {
		item := &items[i]
		line("BEGIN", "VEVENT")
		line("UID", item.ID.String()+"@convene")
		line("DTSTAMP", item.UpdatedAt.UTC().Format(icalTime))
		line("DTSTART", item.StartsAt.UTC().Format(icalTime))
		line("DTEND", item.EndsAt.UTC().Format(icalTime))
		line("SUMMARY", escapeICalText(item.Title))
		if item.Room != "" {
			line("LOCATION", escapeICalText(item.Room))
		}
		if item.Description != "" {
			line("DESCRIPTION", escapeICalText(item.Description))
		}
		if item.Track != "" {
			line("CATEGORIES", escapeICalText(item.Track))
		}
		line("END", "VEVENT")
	}
	line("END", "VCALENDAR")
	return b.String()
}

// icalEscaper escapes TEXT values (RFC 5545 3.3.11).
var icalEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// escapeICalText escapes a TEXT value.
func escapeICalText(s string) string { return icalEscaper.Replace(s) }

// foldICalLine ends a content line with CRLF, folding it into lines of at
// most 75 octets, each continuation starting with a space, never inside a
// UTF-8 character (RFC 5545 3.1).
func foldICalLine(s string) string {
	var b strings.Builder
	limit := icalLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8Start(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		// The leading space counts toward the next line's octets.
		limit = icalLineOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}

// utf8Start reports whether b begins a UTF-8 character (is not a
// continuation byte).
func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
