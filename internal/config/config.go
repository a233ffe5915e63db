// Package config holds Convene's process configuration: one typed struct,
// defaults for development, environment variables over defaults, command-line
// flags over environment variables, validated once at start-up.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/convene/convene/internal/auth"
	"github.com/convene/convene/internal/secretbox"
)

// Environments Convene runs in. Dev enables conveniences (a dev JWT secret,
// OTP codes echoed in responses) that prod refuses.
const (
	EnvDev  = "dev"
	EnvProd = "prod"
)

// Stores the dev Temporal server can keep its state in (TemporalStore).
const (
	TemporalStoreSQLite   = "sqlite"
	TemporalStorePostgres = "postgres"
)

// devJWTSecret signs tokens in dev only; Validate rejects it in prod.
const devJWTSecret = "convene-dev-secret-do-not-use-in-production"

// DevSocialTokenKey is the public dev key that seals social tokens in dev
// and tests ("convene-dev-social-key-not-prod!"); Validate rejects it in
// prod.
const (
	devSocialTokenKeyID = "dev-public-not-secret"
	DevSocialTokenKey   = devSocialTokenKeyID + ":Y29udmVuZS1kZXYtc29jaWFsLWtleS1ub3QtcHJvZCE="
)

// Config is every setting the convene binary reads. The `env` tag names the
// environment variable; flags use the same name in kebab case.
type Config struct {
	// Env is "dev" or "prod". Prod refuses dev defaults for secrets.
	Env string `env:"CONVENE_ENV"`
	// HTTPAddr is where the API listens (Connect, gRPC, gRPC-Web, health, metrics).
	HTTPAddr string `env:"CONVENE_HTTP_ADDR"`
	// DatabaseURL is the Postgres connection string. `convene dev` fills it
	// from its private cluster when empty.
	DatabaseURL string `env:"DATABASE_URL"`
	// TemporalAddress is the Temporal frontend host:port.
	TemporalAddress string `env:"TEMPORAL_ADDRESS"`
	// TemporalNamespace is the namespace Convene's workflows run in.
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE"`
	// TaskQueue is the Temporal task queue Convene's worker polls.
	TaskQueue string `env:"CONVENE_TASK_QUEUE"`
	// JWTSecret signs access tokens (HS256); at least 32 bytes in prod.
	JWTSecret string `env:"CONVENE_JWT_SECRET"`
	// JWTSecretFile is read into JWTSecret when set (for secret mounts).
	JWTSecretFile string `env:"CONVENE_JWT_SECRET_FILE"`
	// DataDir holds `convene dev` state: the Postgres cluster and Temporal's SQLite file.
	DataDir string `env:"CONVENE_DATA_DIR"`
	// PostgresPort is the port of the dev Postgres cluster.
	PostgresPort int `env:"CONVENE_PG_PORT"`
	// TemporalPort is the gRPC port of the dev Temporal server.
	TemporalPort int `env:"CONVENE_TEMPORAL_PORT"`
	// TemporalUIPort is the port of the dev Temporal Web UI.
	TemporalUIPort int `env:"CONVENE_TEMPORAL_UI_PORT"`
	// TemporalStore is where the dev Temporal server keeps its state:
	// "postgres" (databases temporal and temporal_visibility on the
	// Postgres server of DatabaseURL; the default, faster in the ticket
	// rush) or "sqlite" (a file in DataDir).
	TemporalStore string `env:"CONVENE_TEMPORAL_STORE"`
	// SMSProvider selects the SMS adapter; "log" writes messages to the log.
	SMSProvider string `env:"CONVENE_SMS_PROVIDER"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"CONVENE_LOG_LEVEL"`
	// CORSOrigins lists browser origins allowed to call the API ("*" for any).
	CORSOrigins []string `env:"CONVENE_CORS_ORIGINS"`
	// TrustedProxies are the address ranges of the reverse proxies in front
	// of the API, e.g. "10.0.0.0/8,fd00::/8". Only a request whose direct
	// peer is in one of them has its X-Forwarded-For read, and the client
	// is the right-most address there that is not a trusted proxy. None by
	// default: the direct peer is the client.
	TrustedProxies []netip.Prefix `env:"CONVENE_TRUSTED_PROXIES"`
	// AuthLimits bound login codes per phone and per client IP and lock a
	// phone after too many wrong codes, e.g.
	// "otp_cooldown=30s,otp_per_phone=5/h,otp_per_ip=30/h,wrong_codes=10/24h,lock=1h";
	// keys left out keep their defaults.
	AuthLimits auth.OTPLimits `env:"CONVENE_AUTH_LIMITS"`
	// SessionCheckTTL is how long the API trusts its last look at whether
	// a caller's account is active and their session not logged out:
	// a disabled user or a logged-out session is refused within it.
	SessionCheckTTL time.Duration `env:"CONVENE_SESSION_CHECK_TTL"`
	// ShutdownTimeout bounds graceful shutdown of the API and worker.
	ShutdownTimeout time.Duration `env:"CONVENE_SHUTDOWN_TIMEOUT"`
	// PublicURL is the API's address as clients reach it (checkout return
	// links, invite links, sandbox webhooks).
	PublicURL string `env:"CONVENE_PUBLIC_URL"`
	// PaymentProvider selects the payment adapter: sandbox or stripe.
	PaymentProvider string `env:"CONVENE_PAYMENT_PROVIDER"`
	// PaymentWebhookSecret signs and verifies sandbox payment webhooks.
	PaymentWebhookSecret string `env:"CONVENE_PAYMENT_WEBHOOK_SECRET"`
	// StripeSecretKey and StripeWebhookSecret configure the stripe adapter.
	StripeSecretKey     string `env:"STRIPE_SECRET_KEY"`
	StripeWebhookSecret string `env:"STRIPE_WEBHOOK_SECRET"`
	// TicketMasterKey derives each event's Ed25519 ticket-signing key (≥32 bytes).
	TicketMasterKey string `env:"CONVENE_TICKET_MASTER_KEY"`
	// NotifyRateLimits caps notification sends per second per channel,
	// e.g. "push=500,email=100,sms=20,telegram=30".
	NotifyRateLimits map[string]float64 `env:"CONVENE_NOTIFY_RATE_LIMITS"`
	// NotifyDailyQuota caps the SMS and email messages (recipients ×
	// channels) one organization's notification jobs may send per UTC day;
	// a job that would pass it is refused whole. Platform-wide jobs and
	// direct transactional notices are not counted.
	NotifyDailyQuota int `env:"CONVENE_NOTIFY_DAILY_QUOTA"`
	// FCMProjectID and FCMCredentialsFile (the service account's JSON key,
	// whose access tokens are fetched and refreshed) enable real push through FCM.
	FCMProjectID       string `env:"CONVENE_FCM_PROJECT_ID"`
	FCMCredentialsFile string `env:"CONVENE_FCM_CREDENTIALS_FILE"`
	// SMTPAddr, SMTPFrom, SMTPUsername and SMTPPassword enable real email.
	SMTPAddr     string `env:"CONVENE_SMTP_ADDR"`
	SMTPFrom     string `env:"CONVENE_SMTP_FROM"`
	SMTPUsername string `env:"CONVENE_SMTP_USERNAME"`
	SMTPPassword string `env:"CONVENE_SMTP_PASSWORD"`
	// TelegramBotToken enables real Telegram delivery.
	TelegramBotToken string `env:"CONVENE_TELEGRAM_BOT_TOKEN"`
	// TwilioAccountSID, TwilioAuthToken and TwilioFrom configure the twilio SMS adapter.
	TwilioAccountSID string `env:"TWILIO_ACCOUNT_SID"`
	TwilioAuthToken  string `env:"TWILIO_AUTH_TOKEN"`
	TwilioFrom       string `env:"TWILIO_FROM"`
	// SocialTokenKey holds the AES-256 keys that seal social platforms'
	// OAuth tokens in the database: "id:base64key[,id:base64key…]" (each
	// key 32 bytes, e.g. `openssl rand -base64 32`); the first seals, the
	// others still open rows sealed before a rotation. Dev uses a fixed,
	// public dev key unless set; prod requires a real one.
	SocialTokenKey string `env:"CONVENE_SOCIAL_TOKEN_KEY"`
	// BlobDir is where uploaded media are stored; <DataDir>/blobs when
	// empty. API and worker processes must share it.
	BlobDir string `env:"CONVENE_BLOB_DIR"`
	// TelegramLoginMaxAge is how old a Telegram login widget's auth_date
	// may be.
	TelegramLoginMaxAge time.Duration `env:"CONVENE_TELEGRAM_LOGIN_MAX_AGE"`
	// QuestChecksAllowPrivate lets api_check quest tasks call loopback and
	// private addresses: for dev and tests only, refused in prod.
	QuestChecksAllowPrivate bool `env:"CONVENE_QUEST_CHECKS_ALLOW_PRIVATE"`
	// QuestVerifiers chooses the telegram_join and twitter_follow
	// verifiers: sandbox (answers like the services from what the sandbox
	// was told; the dev default, refused in prod) or live (the real APIs,
	// the prod default; unconfigured without CONVENE_TELEGRAM_BOT_TOKEN /
	// CONVENE_TWITTER_BEARER_TOKEN, so submissions go to review).
	QuestVerifiers string `env:"CONVENE_QUEST_VERIFIERS"`
	// TwitterBearerToken lets the live twitter_follow verifier ask X.
	TwitterBearerToken string `env:"CONVENE_TWITTER_BEARER_TOKEN"`
	// ConnectionDailyLimit is how many connection requests a member may
	// send per UTC day.
	ConnectionDailyLimit int `env:"CONVENE_CONNECTION_DAILY_LIMIT"`
	// SafetyHostAfter is how long a safety alert waits for an
	// acknowledgement before it goes to the event's host; SafetyStaffAfter
	// before it goes to platform staff, again every SafetyStaffRepeat.
	SafetyHostAfter   time.Duration `env:"CONVENE_SAFETY_HOST_AFTER"`
	SafetyStaffAfter  time.Duration `env:"CONVENE_SAFETY_STAFF_AFTER"`
	SafetyStaffRepeat time.Duration `env:"CONVENE_SAFETY_STAFF_REPEAT"`
	// OIDCIssuer is the OIDC provider LoginWithOidc accepts tokens from
	// (e.g. a Keycloak realm URL); empty turns OIDC login off.
	OIDCIssuer string `env:"CONVENE_OIDC_ISSUER"`
	// OIDCClientID is the audience tokens must be issued for (never
	// Keycloak's default "account").
	OIDCClientID string `env:"CONVENE_OIDC_CLIENT_ID"`
}

// Quest verifier modes: Config.QuestVerifiers.
const (
	QuestVerifiersSandbox = "sandbox"
	QuestVerifiersLive    = "live"
)

// Default returns the development defaults.
func Default() Config {
	return Config{
		Env:               EnvDev,
		HTTPAddr:          "127.0.0.1:8080",
		TemporalAddress:   "127.0.0.1:7233",
		TemporalNamespace: "default",
		TaskQueue:         "convene",
		DataDir:           ".data",
		PostgresPort:      55432,
		TemporalPort:      7233,
		TemporalUIPort:    8233,
		TemporalStore:     TemporalStorePostgres,
		SMSProvider:       "log",
		PublicURL:         "http://127.0.0.1:8080",
		PaymentProvider:   "sandbox",
		NotifyRateLimits:  map[string]float64{"push": 500, "email": 100, "sms": 20, "telegram": 30},
		NotifyDailyQuota:  1000,
		LogLevel:          "info",
		CORSOrigins:       []string{"*"},
		ShutdownTimeout:   20 * time.Second,
		AuthLimits:        auth.DefaultOTPLimits(),
		SessionCheckTTL:   5 * time.Second,
		// Public, so that every dev and test build seals tokens; Validate
		// refuses it in prod.
		SocialTokenKey:       DevSocialTokenKey,
		TelegramLoginMaxAge:  time.Hour,
		ConnectionDailyLimit: 50,
		SafetyHostAfter:      5 * time.Minute,
		SafetyStaffAfter:     15 * time.Minute,
		SafetyStaffRepeat:    15 * time.Minute,
	}
}

// Load returns the defaults overridden by the environment (lookup is
// os.LookupEnv in production and a map in tests).
func Load(lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	var errs []error
	str := func(dst *string, name string) {
		if v, ok := lookup(name); ok {
			*dst = v
		}
	}
	num := func(dst *int, name string) {
		if v, ok := lookup(name); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a number", name, v))
				return
			}
			*dst = n
		}
	}
	str(&cfg.Env, "CONVENE_ENV")
	str(&cfg.HTTPAddr, "CONVENE_HTTP_ADDR")
	str(&cfg.DatabaseURL, "DATABASE_URL")
	str(&cfg.TemporalAddress, "TEMPORAL_ADDRESS")
	str(&cfg.TemporalNamespace, "TEMPORAL_NAMESPACE")
	str(&cfg.TaskQueue, "CONVENE_TASK_QUEUE")
	str(&cfg.JWTSecret, "CONVENE_JWT_SECRET")
	str(&cfg.JWTSecretFile, "CONVENE_JWT_SECRET_FILE")
	str(&cfg.DataDir, "CONVENE_DATA_DIR")
	num(&cfg.PostgresPort, "CONVENE_PG_PORT")
	num(&cfg.TemporalPort, "CONVENE_TEMPORAL_PORT")
	num(&cfg.TemporalUIPort, "CONVENE_TEMPORAL_UI_PORT")
	str(&cfg.TemporalStore, "CONVENE_TEMPORAL_STORE")
	num(&cfg.NotifyDailyQuota, "CONVENE_NOTIFY_DAILY_QUOTA")
	str(&cfg.SMSProvider, "CONVENE_SMS_PROVIDER")
	str(&cfg.LogLevel, "CONVENE_LOG_LEVEL")
	str(&cfg.PublicURL, "CONVENE_PUBLIC_URL")
	str(&cfg.PaymentProvider, "CONVENE_PAYMENT_PROVIDER")
	str(&cfg.PaymentWebhookSecret, "CONVENE_PAYMENT_WEBHOOK_SECRET")
	str(&cfg.StripeSecretKey, "STRIPE_SECRET_KEY")
	str(&cfg.StripeWebhookSecret, "STRIPE_WEBHOOK_SECRET")
	str(&cfg.TicketMasterKey, "CONVENE_TICKET_MASTER_KEY")
	str(&cfg.FCMProjectID, "CONVENE_FCM_PROJECT_ID")
	str(&cfg.FCMCredentialsFile, "CONVENE_FCM_CREDENTIALS_FILE")
	str(&cfg.SMTPAddr, "CONVENE_SMTP_ADDR")
	str(&cfg.SMTPFrom, "CONVENE_SMTP_FROM")
	str(&cfg.SMTPUsername, "CONVENE_SMTP_USERNAME")
	str(&cfg.SMTPPassword, "CONVENE_SMTP_PASSWORD")
	str(&cfg.TelegramBotToken, "CONVENE_TELEGRAM_BOT_TOKEN")
	if v, ok := lookup("CONVENE_NOTIFY_RATE_LIMITS"); ok {
		limits, err := parseRates(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_NOTIFY_RATE_LIMITS: %w", err))
		}
		cfg.NotifyRateLimits = limits
	}
	str(&cfg.TwilioAccountSID, "TWILIO_ACCOUNT_SID")
	str(&cfg.TwilioAuthToken, "TWILIO_AUTH_TOKEN")
	str(&cfg.TwilioFrom, "TWILIO_FROM")
	str(&cfg.SocialTokenKey, "CONVENE_SOCIAL_TOKEN_KEY")
	str(&cfg.BlobDir, "CONVENE_BLOB_DIR")
	str(&cfg.QuestVerifiers, "CONVENE_QUEST_VERIFIERS")
	str(&cfg.TwitterBearerToken, "CONVENE_TWITTER_BEARER_TOKEN")
	num(&cfg.ConnectionDailyLimit, "CONVENE_CONNECTION_DAILY_LIMIT")
	str(&cfg.OIDCIssuer, "CONVENE_OIDC_ISSUER")
	str(&cfg.OIDCClientID, "CONVENE_OIDC_CLIENT_ID")
	for name, dst := range map[string]*time.Duration{"CONVENE_SAFETY_HOST_AFTER": &cfg.SafetyHostAfter,
		"CONVENE_SAFETY_STAFF_AFTER": &cfg.SafetyStaffAfter, "CONVENE_SAFETY_STAFF_REPEAT": &cfg.SafetyStaffRepeat} {
		if v, ok := lookup(name); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				errs = append(errs, fmt.Errorf("%s: %q is not a positive duration like 5m", name, v))
			}
			*dst = d
		}
	}
	if v, ok := lookup("CONVENE_QUEST_CHECKS_ALLOW_PRIVATE"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_QUEST_CHECKS_ALLOW_PRIVATE: %q is not true or false", v))
		}
		cfg.QuestChecksAllowPrivate = b
	}
	if v, ok := lookup("CONVENE_TELEGRAM_LOGIN_MAX_AGE"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_TELEGRAM_LOGIN_MAX_AGE: %q is not a duration like 1h", v))
		}
		cfg.TelegramLoginMaxAge = d
	}
	if v, ok := lookup("CONVENE_CORS_ORIGINS"); ok {
		cfg.CORSOrigins = splitList(v)
	}
	errs = append(errs, loadSessionSettings(lookup, &cfg)...)
	if v, ok := lookup("CONVENE_SHUTDOWN_TIMEOUT"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("CONVENE_SHUTDOWN_TIMEOUT: %q is not a duration like 20s", v))
		}
		cfg.ShutdownTimeout = d
	}
	return cfg, errors.Join(errs...)
}

// EnvVars lists every environment variable Load reads, so deployment files
// can be checked against it.
func EnvVars() []string {
	return []string{
		"CONVENE_ENV", "CONVENE_HTTP_ADDR", "DATABASE_URL", "TEMPORAL_ADDRESS",
		"TEMPORAL_NAMESPACE", "CONVENE_TASK_QUEUE", "CONVENE_JWT_SECRET",
		"CONVENE_JWT_SECRET_FILE", "CONVENE_DATA_DIR", "CONVENE_PG_PORT",
		"CONVENE_TEMPORAL_PORT", "CONVENE_TEMPORAL_UI_PORT", "CONVENE_SMS_PROVIDER",
		"CONVENE_LOG_LEVEL", "CONVENE_CORS_ORIGINS", "CONVENE_TRUSTED_PROXIES",
		"CONVENE_AUTH_LIMITS", "CONVENE_SESSION_CHECK_TTL",
		"CONVENE_SHUTDOWN_TIMEOUT", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM",
		"CONVENE_PUBLIC_URL", "CONVENE_PAYMENT_PROVIDER", "CONVENE_PAYMENT_WEBHOOK_SECRET",
		"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "CONVENE_TICKET_MASTER_KEY",
		"CONVENE_NOTIFY_RATE_LIMITS", "CONVENE_FCM_PROJECT_ID", "CONVENE_FCM_CREDENTIALS_FILE", "CONVENE_SMTP_ADDR",
		"CONVENE_SMTP_FROM", "CONVENE_SMTP_USERNAME", "CONVENE_SMTP_PASSWORD", "CONVENE_TELEGRAM_BOT_TOKEN",
		"CONVENE_NOTIFY_DAILY_QUOTA", "CONVENE_TEMPORAL_STORE", "CONVENE_SOCIAL_TOKEN_KEY", "CONVENE_BLOB_DIR",
		"CONVENE_TELEGRAM_LOGIN_MAX_AGE", "CONVENE_QUEST_CHECKS_ALLOW_PRIVATE", "CONVENE_QUEST_VERIFIERS",
		"CONVENE_TWITTER_BEARER_TOKEN", "CONVENE_CONNECTION_DAILY_LIMIT", "CONVENE_SAFETY_HOST_AFTER",
		"CONVENE_SAFETY_STAFF_AFTER", "CONVENE_SAFETY_STAFF_REPEAT", "CONVENE_OIDC_ISSUER", "CONVENE_OIDC_CLIENT_ID",
	}
}

// BindFlags registers a flag for each setting, defaulting to the value
// already loaded from the environment, so flags override env.
func (c *Config) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Env, "env", c.Env, "environment: dev or prod (CONVENE_ENV)")
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "API listen address (CONVENE_HTTP_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "Postgres URL (DATABASE_URL)")
	fs.StringVar(&c.TemporalAddress, "temporal-address", c.TemporalAddress, "Temporal frontend host:port (TEMPORAL_ADDRESS)")
	fs.StringVar(&c.TemporalNamespace, "temporal-namespace", c.TemporalNamespace, "Temporal namespace (TEMPORAL_NAMESPACE)")
	fs.StringVar(&c.TaskQueue, "task-queue", c.TaskQueue, "Temporal task queue (CONVENE_TASK_QUEUE)")
	fs.StringVar(&c.JWTSecret, "jwt-secret", c.JWTSecret, "access token signing secret (CONVENE_JWT_SECRET)")
	fs.StringVar(&c.JWTSecretFile, "jwt-secret-file", c.JWTSecretFile, "file holding the signing secret (CONVENE_JWT_SECRET_FILE)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "dev stack state directory (CONVENE_DATA_DIR)")
	fs.StringVar(&c.BlobDir, "blob-dir", c.BlobDir, "uploaded media directory, <data-dir>/blobs when empty (CONVENE_BLOB_DIR)")
	fs.IntVar(&c.PostgresPort, "pg-port", c.PostgresPort, "dev Postgres port (CONVENE_PG_PORT)")
	fs.IntVar(&c.TemporalPort, "temporal-port", c.TemporalPort, "dev Temporal gRPC port (CONVENE_TEMPORAL_PORT)")
	fs.IntVar(&c.TemporalUIPort, "temporal-ui-port", c.TemporalUIPort, "dev Temporal UI port (CONVENE_TEMPORAL_UI_PORT)")
	fs.StringVar(&c.TemporalStore, "temporal-store", c.TemporalStore, "dev Temporal state: sqlite or postgres (CONVENE_TEMPORAL_STORE)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the API's public base URL (CONVENE_PUBLIC_URL)")
	fs.StringVar(&c.PaymentProvider, "payment-provider", c.PaymentProvider, "payment adapter: sandbox or stripe (CONVENE_PAYMENT_PROVIDER)")
	fs.StringVar(&c.SMSProvider, "sms-provider", c.SMSProvider, "SMS adapter: log (CONVENE_SMS_PROVIDER)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error (CONVENE_LOG_LEVEL)")
	fs.StringSliceVar(&c.CORSOrigins, "cors-origins", c.CORSOrigins, "allowed browser origins (CONVENE_CORS_ORIGINS)")
	fs.DurationVar(&c.SessionCheckTTL, "session-check-ttl", c.SessionCheckTTL, "how long an account/session check is cached (CONVENE_SESSION_CHECK_TTL)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "graceful shutdown bound (CONVENE_SHUTDOWN_TIMEOUT)")
}

// Finalize reads the secret file if given, fills dev-only defaults in dev,
// and validates. Call it once after flags are parsed.
func (c *Config) Finalize() error {
	if c.JWTSecretFile != "" {
		b, err := os.ReadFile(c.JWTSecretFile)
		if err != nil {
			return fmt.Errorf("read CONVENE_JWT_SECRET_FILE: %w", err)
		}
		c.JWTSecret = strings.TrimSpace(string(b))
	}
	if c.Env == EnvDev {
		c.fillDevSecrets()
	}
	if c.QuestVerifiers == "" {
		c.QuestVerifiers = QuestVerifiersLive
		if c.Env == EnvDev {
			c.QuestVerifiers = QuestVerifiersSandbox
		}
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	return c.Validate()
}

// Validate reports every problem at once, with the variable to fix.
func (c *Config) Validate() error {
	var errs []error
	switch c.Env {
	case EnvDev, EnvProd:
	default:
		errs = append(errs, fmt.Errorf("CONVENE_ENV must be dev or prod, got %q", c.Env))
	}
	if c.Env == EnvProd {
		if len(c.JWTSecret) < 32 {
			errs = append(errs, errors.New("CONVENE_JWT_SECRET (or CONVENE_JWT_SECRET_FILE) must hold at least 32 bytes in prod"))
		}
		if c.JWTSecret == devJWTSecret {
			errs = append(errs, errors.New("CONVENE_JWT_SECRET is the dev default; set a real secret in prod"))
		}
		if c.SMSProvider == "log" {
			errs = append(errs, errors.New("CONVENE_SMS_PROVIDER=log only prints codes; it is refused in prod"))
		}
		if c.PaymentProvider == "sandbox" {
			errs = append(errs, errors.New("CONVENE_PAYMENT_PROVIDER=sandbox takes no real money; it is refused in prod"))
		}
		if len(c.TicketMasterKey) < 32 {
			errs = append(errs, errors.New("CONVENE_TICKET_MASTER_KEY must hold at least 32 bytes in prod"))
		}
		if c.SocialTokenKey == "" {
			errs = append(errs, errors.New("CONVENE_SOCIAL_TOKEN_KEY is required in prod, e.g. main:$(openssl rand -base64 32)"))
		}
		if c.QuestChecksAllowPrivate {
			errs = append(errs, errors.New("CONVENE_QUEST_CHECKS_ALLOW_PRIVATE lets quest checks reach internal hosts; it is refused in prod"))
		}
		if c.QuestVerifiers == QuestVerifiersSandbox {
			errs = append(errs, errors.New("CONVENE_QUEST_VERIFIERS=sandbox verifies nothing real; it is refused in prod"))
		}
	}
	errs = append(errs, c.validateSocialTokenKey())
	if c.JWTSecret == "" {
		errs = append(errs, errors.New("CONVENE_JWT_SECRET is required"))
	}
	if c.TemporalNamespace == "" || c.TaskQueue == "" {
		errs = append(errs, errors.New("TEMPORAL_NAMESPACE and CONVENE_TASK_QUEUE must not be empty"))
	}
	if c.TemporalStore != TemporalStoreSQLite && c.TemporalStore != TemporalStorePostgres {
		errs = append(errs, fmt.Errorf("CONVENE_TEMPORAL_STORE must be sqlite or postgres, got %q", c.TemporalStore))
	}
	if c.SessionCheckTTL <= 0 || c.SessionCheckTTL > time.Minute {
		errs = append(errs, errors.New("CONVENE_SESSION_CHECK_TTL must be positive and at most 1m"))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("CONVENE_SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.QuestVerifiers != "" && c.QuestVerifiers != QuestVerifiersSandbox && c.QuestVerifiers != QuestVerifiersLive {
		errs = append(errs, fmt.Errorf("CONVENE_QUEST_VERIFIERS must be sandbox or live, got %q", c.QuestVerifiers))
	}
	if c.TelegramLoginMaxAge <= 0 || c.TelegramLoginMaxAge > 24*time.Hour {
		errs = append(errs, errors.New("CONVENE_TELEGRAM_LOGIN_MAX_AGE must be positive and at most 24h"))
	}
	if c.ConnectionDailyLimit < 1 {
		errs = append(errs, errors.New("CONVENE_CONNECTION_DAILY_LIMIT must be at least 1"))
	}
	if c.NotifyDailyQuota < 0 {
		errs = append(errs, errors.New("CONVENE_NOTIFY_DAILY_QUOTA must not be negative (0 refuses every SMS and email job)"))
	}
	return errors.Join(errs...)
}

// validateSocialTokenKey checks SocialTokenKey's format, and that prod
// does not seal with the public dev key.
func (c *Config) validateSocialTokenKey() error {
	if c.SocialTokenKey == "" {
		return nil
	}
	keys, _, err := secretbox.ParseKeys(c.SocialTokenKey)
	if err != nil {
		return fmt.Errorf("CONVENE_SOCIAL_TOKEN_KEY: %w", err)
	}
	if _, dev := keys[devSocialTokenKeyID]; dev && c.Env == EnvProd {
		return errors.New("CONVENE_SOCIAL_TOKEN_KEY holds the public dev key; set a real key in prod")
	}
	return nil
}

// fillDevSecrets gives dev runs working secrets; Validate refuses them in prod.
func (c *Config) fillDevSecrets() {
	if c.SocialTokenKey == "" {
		c.SocialTokenKey = DevSocialTokenKey
	}
	if c.JWTSecret == "" {
		c.JWTSecret = devJWTSecret
	}
	if c.TicketMasterKey == "" {
		c.TicketMasterKey = devJWTSecret + "/tickets"
	}
	if c.PaymentWebhookSecret == "" {
		c.PaymentWebhookSecret = devJWTSecret + "/sandbox-webhooks"
	}
}

// RequireDatabase reports a clear error when no database is configured, for
// commands that do not start their own.
func (c *Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set: point it at Postgres, or use `convene dev` which starts one")
	}
	return nil
}

// IsDev reports whether dev conveniences are allowed.
func (c *Config) IsDev() bool { return c.Env == EnvDev }

// parseRates reads "channel=perSecond,..." pairs.
func parseRates(v string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, pair := range splitList(v) {
		k, rate, ok := strings.Cut(pair, "=")
		n, err := strconv.ParseFloat(strings.TrimSpace(rate), 64)
		if !ok || err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not channel=perSecond", pair)
		}
		out[strings.TrimSpace(k)] = n
	}
	return out, nil
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
