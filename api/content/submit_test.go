package content

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"

	"github.com/convene/convene/db"
)

func TestTriggerMatches(t *testing.T) {
	t.Parallel()
	campaign, event, phase, other := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	facts := contentFacts{contentType: "post", platforms: []string{"linkedin", "x"}, campaignID: &campaign,
		eventID: &event, phaseID: &phase, vipTier: 3}
	for _, tc := range []struct {
		name    string
		trigger db.TriggerConditions
		want    bool
	}{
		{"empty matches anything", db.TriggerConditions{}, true},
		{"content type listed", db.TriggerConditions{ContentTypes: []string{"story", "post"}}, true},
		{"content type not listed", db.TriggerConditions{ContentTypes: []string{"story"}}, false},
		{"one target on a listed platform", db.TriggerConditions{Platforms: []string{"x"}}, true},
		{"no target on a listed platform", db.TriggerConditions{Platforms: []string{"instagram"}}, false},
		{"campaign listed", db.TriggerConditions{CampaignIDs: []uuid.UUID{other, campaign}}, true},
		{"other campaign", db.TriggerConditions{CampaignIDs: []uuid.UUID{other}}, false},
		{"event and phase listed", db.TriggerConditions{EventIDs: []uuid.UUID{event}, PhaseIDs: []uuid.UUID{phase}}, true},
		{"other phase", db.TriggerConditions{EventIDs: []uuid.UUID{event}, PhaseIDs: []uuid.UUID{other}}, false},
		{"VIP tier reached", db.TriggerConditions{MinVIPTier: 3}, true},
		{"VIP tier not reached", db.TriggerConditions{MinVIPTier: 4}, false},
		{"every condition must hold", db.TriggerConditions{ContentTypes: []string{"post"}, MinVIPTier: 5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, triggerMatches(tc.trigger, facts))
		})
	}
	assert.False(t, triggerMatches(db.TriggerConditions{CampaignIDs: []uuid.UUID{campaign}}, contentFacts{contentType: "post"}),
		"content without a campaign does not match a campaign trigger")
}
