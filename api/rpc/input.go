package rpc

import (
	"context"
	"fmt"
	"regexp"
	"slices"

	"github.com/google/uuid"
	"github.com/nyaruka/phonenumbers"
	"github.com/uptrace/bun"

	"github.com/convene/convene/db"
)

// e164 is what users.phone accepts (its CHECK constraint): E.164 allows at
// most 15 digits, while libphonenumber validates some longer national plans.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizePhone parses an international number into E.164, or returns
// InvalidArgument naming field.
func NormalizePhone(field, raw string) (string, error) {
	num, err := phonenumbers.Parse(raw, "")
	if err == nil && phonenumbers.IsValidNumber(num) {
		if phone := phonenumbers.Format(num, phonenumbers.E164); e164.MatchString(phone) {
			return phone, nil
		}
	}
	return "", InvalidField(field, fmt.Sprintf("%q is not a valid international phone number; use the +<country code> form with at most 15 digits, e.g. +14155550100", raw))
}

// OptionalID parses an optional ID field that protovalidate has already
// checked: nil when the field is empty.
func OptionalID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	id := uuid.MustParse(s)
	return &id
}

// IDString is the text of an optional ID, "" for nil.
func IDString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

// Deref is the value p points to, or the zero value for nil.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// InterestIDs resolves interest slugs (deduplicated and sorted, as also
// returned) to their IDs, refusing an unknown slug as InvalidArgument on
// field.
func InterestIDs(ctx context.Context, idb bun.IDB, field string, slugs []string) ([]uuid.UUID, []string, error) {
	slugs = slices.Compact(slices.Sorted(slices.Values(slugs)))
	found, err := db.InterestsBySlug(ctx, idb, slugs)
	if err != nil {
		return nil, nil, err
	}
	known := make(map[string]uuid.UUID, len(found))
	for _, in := range found {
		known[in.Slug] = in.ID
	}
	ids := make([]uuid.UUID, 0, len(slugs))
	for _, slug := range slugs {
		id, ok := known[slug]
		if !ok {
			return nil, nil, InvalidField(field, fmt.Sprintf("unknown interest %q; ListInterests gives the valid slugs", slug))
		}
		ids = append(ids, id)
	}
	return ids, slugs, nil
}
