// Package migrations embeds Convene's SQL migrations. Files are named
// <timestamp>_<domain>.tx.up.sql / .tx.down.sql and run in a transaction each.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
