package db

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// DemoPhone is the demo host's phone; sign in with it in dev to act as the
// owner of the demo organization.
const DemoPhone = "+14155550100"

// demoInterests is the starter interest catalogue (seed 002's examples).
var demoInterests = [][3]string{
	{"Music", "music", "Concerts, gigs and jams"},
	{"Travel", "travel", "Trips and getaways"},
	{"Parties", "parties", "House parties and nights out"},
	{"Food & Drink", "food-drink", "Dinners, tastings and brunches"},
	{"Tech", "tech", "Meetups, hackathons and talks"},
	{"Sports", "sports", "Games, runs and rides"},
	{"Art", "art", "Galleries, workshops and shows"},
	{"Outdoors", "outdoors", "Hikes, picnics and camping"},
	{"Wellness", "wellness", "Yoga, meditation and retreats"},
	{"Games", "games", "Board games, quizzes and e-sports"},
}

// SeedDemo loads demo data; running it again changes nothing.
func SeedDemo(ctx context.Context, idb bun.IDB) error {
	for _, in := range demoInterests {
		if err := UpsertInterest(ctx, idb, in[0], in[1], in[2]); err != nil {
			return err
		}
	}
	host, _, err := CreateUserWithPhone(ctx, idb, DemoPhone)
	if err != nil {
		return fmt.Errorf("seed demo host: %w", err)
	}
	if _, err := idb.NewUpdate().Model((*Profile)(nil)).Set("name = ?", "Demo Host").
		Where("user_id = ? AND name = ''", host.ID).Exec(ctx); err != nil {
		return fmt.Errorf("name demo host: %w", err)
	}
	org, err := UpsertOrganizationBySlug(ctx, idb, &Organization{ID: NewID(), Name: "Convene Demo", Slug: "convene-demo",
		Description: "Demo organization loaded by `convene seed`", Settings: map[string]any{}, Status: "active", CreatedBy: &host.ID})
	if err != nil {
		return err
	}
	_, err = idb.NewInsert().Model(&Member{ID: NewID(), OrganizationID: org.ID, UserID: host.ID, Role: RoleOwner}).
		On("CONFLICT (organization_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return fmt.Errorf("seed demo owner: %w", err)
	}
	return nil
}
