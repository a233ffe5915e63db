package questcheck

import (
	"crypto/tls"
	"net/http"
	"time"

	"github.com/convene/convene/db/enums"
)

// Verifier modes (config.QuestVerifiers): sandbox answers telegram_join
// and twitter_follow from memory, live asks Telegram and X.
const (
	ModeSandbox = "sandbox"
	ModeLive    = "live"
)

// defaultProviderTimeout bounds one call to Telegram or X when no client
// is given.
const defaultProviderTimeout = 10 * time.Second

// Options build the verifier Set from the configuration.
type Options struct {
	// AllowPrivate lets api_check use http and reach loopback and private
	// addresses (CONVENE_QUEST_CHECKS_ALLOW_PRIVATE; refused in prod).
	AllowPrivate bool
	// Mode is ModeSandbox or ModeLive (CONVENE_QUEST_VERIFIERS); anything
	// but ModeSandbox is live.
	Mode string
	// TelegramBotToken and TwitterBearerToken let the live adapters ask;
	// without one its kind is unconfigured (review).
	TelegramBotToken   string
	TwitterBearerToken string
	// HTTPClient calls Telegram and X (a 10 s client when nil). api_check
	// never uses it: it has its own client with the safe dialer.
	HTTPClient *http.Client
	// APICheckTimeout bounds one api_check call (10 s when zero).
	APICheckTimeout time.Duration
	// APICheckTLS is api_check's TLS config (nil: the system roots); tests
	// trust their TLS test server with it.
	APICheckTLS *tls.Config
}

// Sandboxes are the in-memory verifiers of sandbox mode, for dev tools
// and tests to set who is in which chat and who follows whom.
type Sandboxes struct {
	Telegram *TelegramSandbox
	Twitter  *TwitterSandbox
}

// New builds the verifier of every kind but manual_proof (a person
// decides it): the inline ones and api_check always, telegram_join and
// twitter_follow by Mode. Sandboxes is nil in live mode.
func New(o Options) (Set, *Sandboxes) {
	set := Set{
		enums.TaskKindQuiz:       Quiz{},
		enums.TaskKindSecretCode: SecretCode{},
		enums.TaskKindURLVisit:   URLVisit{},
		enums.TaskKindAPICheck: NewAPICheck(APICheckOptions{AllowPrivate: o.AllowPrivate, Timeout: o.APICheckTimeout,
			TLS: o.APICheckTLS}),
	}
	if o.Mode == ModeSandbox {
		sb := &Sandboxes{Telegram: NewTelegramSandbox(), Twitter: NewTwitterSandbox()}
		set[enums.TaskKindTelegramJoin] = sb.Telegram
		set[enums.TaskKindTwitterFollow] = sb.Twitter
		return set, sb
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: defaultProviderTimeout}
	}
	set[enums.TaskKindTelegramJoin] = NewTelegramJoin(o.TelegramBotToken, "", client)
	set[enums.TaskKindTwitterFollow] = NewTwitterFollow(o.TwitterBearerToken, "", client)
	return set, nil
}
