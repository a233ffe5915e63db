package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// What content about an event draws on: the event's social profile, its
// delegates, its phases, and the sentiment of the comments on its posts.

// EventSocialProfile is an event's handle per platform and its official
// hashtags (columns of events).
type EventSocialProfile struct {
	EventID          uuid.UUID         `bun:"id"`
	SocialHandles    map[string]string `bun:"social_handles,type:jsonb"`
	OfficialHashtags []string          `bun:"official_hashtags,array"`
}

// SetEventSocialProfile replaces an event's social handles and hashtags.
func SetEventSocialProfile(ctx context.Context, idb bun.IDB, p EventSocialProfile) error {
	if p.SocialHandles == nil {
		p.SocialHandles = map[string]string{}
	}
	if p.OfficialHashtags == nil {
		p.OfficialHashtags = []string{}
	}
	handles, err := json.Marshal(p.SocialHandles)
	if err != nil {
		return fmt.Errorf("encode social handles: %w", err)
	}
	_, err = idb.NewUpdate().Table("events").
		Set("social_handles = ?::jsonb", string(handles)).Set("official_hashtags = ?", pgdialect.Array(p.OfficialHashtags)).
		Set("updated_at = now()").Where("id = ?", p.EventID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set social profile of event %s: %w", p.EventID, err)
	}
	return nil
}

// EventSocialProfileOf reads an event's social handles and hashtags.
func EventSocialProfileOf(ctx context.Context, idb bun.IDB, eventID uuid.UUID) (EventSocialProfile, error) {
	var p EventSocialProfile
	err := idb.NewSelect().Table("events").Column("id", "social_handles", "official_hashtags").
		Where("id = ?", eventID).Scan(ctx, &p)
	if err != nil {
		return EventSocialProfile{}, notFound(err, "event %s", eventID)
	}
	return p, nil
}

// InsertDelegate adds a delegate to an event.
func InsertDelegate(ctx context.Context, idb bun.IDB, d *Delegate) error {
	if d.ID == uuid.Nil {
		d.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(d).Returning("created_at, updated_at").Exec(ctx); err != nil {
		return fmt.Errorf("insert delegate: %w", err)
	}
	return nil
}

// DelegateForUpdate returns a live delegate locked for update.
func DelegateForUpdate(ctx context.Context, idb bun.IDB, id uuid.UUID) (*Delegate, error) {
	d := new(Delegate)
	if err := idb.NewSelect().Model(d).Where("id = ? AND deleted_at IS NULL", id).For("UPDATE").Scan(ctx); err != nil {
		return nil, notFound(err, "delegate %s", id)
	}
	return d, nil
}

// UpdateDelegate stores every editable field of d.
func UpdateDelegate(ctx context.Context, idb bun.IDB, d *Delegate) error {
	_, err := idb.NewUpdate().Model(d).
		Column("title", "first_name", "last_name", "designation", "organization_name", "country", "delegate_type", "vip_tier", "auto_tag").
		Set("updated_at = now()").WherePK().Returning("updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("update delegate %s: %w", d.ID, err)
	}
	return nil
}

// DelegateSearch filters an event's delegates. With a Query the order is
// best match first (ts_rank, then ID, both descending); without, by last
// name then ID. After is the last row of the previous page: its sort key
// (the rank, formatted by DelegateRankKey, or the last name) and ID.
type DelegateSearch struct {
	EventID    uuid.UUID
	Query      string
	MinVIPTier int
	AfterKey   string
	AfterID    uuid.UUID
	Limit      int
}

// RankedDelegate is a delegate with its match rank (0 without a query).
type RankedDelegate struct {
	Delegate `bun:",extend"`
	Rank     float32 `bun:"rank,scanonly"`
}

// DelegateRankKey formats a rank as a page key that parses back to the
// same float4.
func DelegateRankKey(rank float32) string { return strconv.FormatFloat(float64(rank), 'g', -1, 32) }

// ErrBadPageKey is returned for a page key that is not one a search
// produced.
var ErrBadPageKey = errors.New("page key is not one this search returned")

// delegateColumns are the columns of Delegate (not the search vector).
const delegateColumns = "dlg.id, dlg.organization_id, dlg.event_id, dlg.title, dlg.first_name, dlg.last_name, dlg.designation, " +
	"dlg.organization_name, dlg.country, dlg.delegate_type, dlg.vip_tier, dlg.auto_tag, dlg.deleted_at, dlg.created_at, dlg.updated_at"

// SearchDelegates returns up to s.Limit delegates of the event.
func SearchDelegates(ctx context.Context, idb bun.IDB, s DelegateSearch) ([]RankedDelegate, error) {
	var out []RankedDelegate
	q := idb.NewSelect().Model(&out).
		Where("dlg.event_id = ? AND dlg.deleted_at IS NULL AND dlg.vip_tier >= ?", s.EventID, s.MinVIPTier).Limit(int64(s.Limit))
	if s.Query != "" {
		q = q.ColumnExpr(delegateColumns).ColumnExpr("ts_rank(dlg.search, websearch_to_tsquery('simple', ?)) AS rank", s.Query).
			Where("dlg.search @@ websearch_to_tsquery('simple', ?)", s.Query).OrderExpr("rank DESC, dlg.id DESC")
		if s.AfterID != uuid.Nil {
			rank, err := strconv.ParseFloat(s.AfterKey, 32)
			if err != nil {
				return nil, ErrBadPageKey
			}
			q = q.Where("(ts_rank(dlg.search, websearch_to_tsquery('simple', ?)), dlg.id) < (?::real, ?)", s.Query, rank, s.AfterID)
		}
	} else {
		q = q.ColumnExpr(delegateColumns).ColumnExpr("0::real AS rank").OrderExpr("dlg.last_name, dlg.id")
		if s.AfterID != uuid.Nil {
			q = q.Where("(dlg.last_name, dlg.id) > (?, ?)", s.AfterKey, s.AfterID)
		}
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("search delegates of event %s: %w", s.EventID, err)
	}
	return out, nil
}

// ErrPhaseOverlaps is returned when a phase overlaps another of its event
// (the event_phases_no_overlap exclusion constraint).
var ErrPhaseOverlaps = errors.New("the phase overlaps another phase of the event")

// InsertPhase adds a phase to an event.
func InsertPhase(ctx context.Context, idb bun.IDB, p *EventPhase) error {
	if p.ID == uuid.Nil {
		p.ID = NewID()
	}
	if _, err := idb.NewInsert().Model(p).Exec(ctx); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23P01" && pgErr.ConstraintName == "event_phases_no_overlap" {
			return ErrPhaseOverlaps
		}
		return fmt.Errorf("insert phase: %w", err)
	}
	return nil
}

// PhasesOf lists an event's phases by start time.
func PhasesOf(ctx context.Context, idb bun.IDB, eventID uuid.UUID) ([]EventPhase, error) {
	var out []EventPhase
	if err := idb.NewSelect().Model(&out).Where("event_id = ?", eventID).OrderExpr("starts_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list phases of event %s: %w", eventID, err)
	}
	return out, nil
}

// SentimentFilter picks the analysed comments to sum: of one event's
// posts or of one post, commented in [From, To) (zero: unbounded).
type SentimentFilter struct {
	OrganizationID  uuid.UUID
	EventID         *uuid.UUID
	PublishedPostID *uuid.UUID
	From, To        time.Time
}

// SentimentSummary sums analysed comments.
type SentimentSummary struct {
	Positive, Neutral, Negative int64
	AverageScoreBps             int
	TopKeywords                 []KeywordCount
}

// KeywordCount is a keyword and the comments containing it.
type KeywordCount struct {
	Keyword string `bun:"keyword"`
	Count   int64  `bun:"count"`
}

// maxTopKeywords is how many keywords a summary lists.
const maxTopKeywords = 20

// SummarizeSentiment counts the matching comments by sentiment, averages
// their scores and lists their most frequent keywords.
func SummarizeSentiment(ctx context.Context, idb bun.IDB, f SentimentFilter) (SentimentSummary, error) {
	var counts struct {
		Positive int64   `bun:"positive"`
		Neutral  int64   `bun:"neutral"`
		Negative int64   `bun:"negative"`
		Average  float64 `bun:"average"`
	}
	err := sentimentQuery(idb, f).
		ColumnExpr("count(*) FILTER (WHERE sentiment = 'positive') AS positive").
		ColumnExpr("count(*) FILTER (WHERE sentiment = 'neutral') AS neutral").
		ColumnExpr("count(*) FILTER (WHERE sentiment = 'negative') AS negative").
		ColumnExpr("coalesce(avg(score_bps), 0) AS average").Scan(ctx, &counts)
	if err != nil {
		return SentimentSummary{}, fmt.Errorf("sum sentiment: %w", err)
	}
	out := SentimentSummary{Positive: counts.Positive, Neutral: counts.Neutral, Negative: counts.Negative,
		AverageScoreBps: int(math.Round(counts.Average))}
	err = idb.NewSelect().TableExpr("(?) AS k", sentimentQuery(idb, f).ColumnExpr("unnest(keywords) AS keyword")).
		ColumnExpr("keyword, count(*) AS count").GroupExpr("keyword").OrderExpr("count DESC, keyword").
		Limit(int64(maxTopKeywords)).Scan(ctx, &out.TopKeywords)
	if err != nil {
		return SentimentSummary{}, fmt.Errorf("count sentiment keywords: %w", err)
	}
	return out, nil
}

func sentimentQuery(idb bun.IDB, f SentimentFilter) *bun.SelectQuery {
	q := idb.NewSelect().Table("sentiment_analysis").Where("organization_id = ?", f.OrganizationID)
	if f.EventID != nil {
		q = q.Where("event_id = ?", *f.EventID)
	}
	if f.PublishedPostID != nil {
		q = q.Where("published_post_id = ?", *f.PublishedPostID)
	}
	if !f.From.IsZero() {
		q = q.Where("commented_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("commented_at < ?", f.To)
	}
	return q
}
