package config_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/secretbox"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoad_EnvOverridesDefaultsAndFlagsOverrideEnv(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{
		"CONVENE_HTTP_ADDR": "0.0.0.0:9000", "CONVENE_PG_PORT": "6000", "CONVENE_CORS_ORIGINS": "https://a.example, https://b.example",
		"CONVENE_SHUTDOWN_TIMEOUT": "5s", "TEMPORAL_NAMESPACE": "convene",
	}))
	require.NoError(t, err)
	assert.Equal(t, "0.0.0.0:9000", cfg.HTTPAddr)
	assert.Equal(t, 6000, cfg.PostgresPort)
	assert.Equal(t, []string{"https://a.example", "https://b.example"}, cfg.CORSOrigins)
	assert.Equal(t, 5*time.Second, cfg.ShutdownTimeout)

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	require.NoError(t, fs.Parse([]string{"--http-addr", "127.0.0.1:7000"}))
	assert.Equal(t, "127.0.0.1:7000", cfg.HTTPAddr)
	assert.Equal(t, "convene", cfg.TemporalNamespace, "env survives when no flag is given")
}

func TestLoad_TemporalStore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		flags []string
		want  string
	}{
		{"postgres by default", map[string]string{}, nil, config.TemporalStorePostgres},
		{"from the environment", map[string]string{"CONVENE_TEMPORAL_STORE": "sqlite"}, nil, config.TemporalStoreSQLite},
		{"the flag wins", map[string]string{"CONVENE_TEMPORAL_STORE": "sqlite"}, []string{"--temporal-store", "postgres"}, config.TemporalStorePostgres},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(env(tc.env))
			require.NoError(t, err)
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			cfg.BindFlags(fs)
			require.NoError(t, fs.Parse(tc.flags))
			assert.Equal(t, tc.want, cfg.TemporalStore)
			assert.Contains(t, config.EnvVars(), "CONVENE_TEMPORAL_STORE")
		})
	}
}

func TestLoad_BadValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{"CONVENE_PG_PORT": "abc", "CONVENE_SHUTDOWN_TIMEOUT": "soon"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CONVENE_PG_PORT")
	assert.Contains(t, err.Error(), "CONVENE_SHUTDOWN_TIMEOUT")
}

// prodEnv is a complete prod configuration with overrides.
func prodEnv(over map[string]string) map[string]string {
	m := map[string]string{"CONVENE_ENV": "prod", "CONVENE_SMS_PROVIDER": "twilio", "CONVENE_PAYMENT_PROVIDER": "stripe",
		"CONVENE_TICKET_MASTER_KEY": "a-very-long-ticket-master-key-0123456789",
		"CONVENE_SOCIAL_TOKEN_KEY":  "main:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))}
	for k, v := range over {
		m[k] = v
	}
	return m
}

func TestFinalize(t *testing.T) {
	t.Parallel()
	secretFile := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(secretFile, []byte("a-very-long-production-secret-0123456789\n"), 0o600))
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
	}{
		{"dev gets a dev secret", map[string]string{}, nil},
		{"prod without secret", prodEnv(map[string]string{}), []string{"CONVENE_JWT_SECRET"}},
		{"prod with short secret", prodEnv(map[string]string{"CONVENE_JWT_SECRET": "short"}), []string{"at least 32 bytes"}},
		{"prod refuses the log sms sandbox", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile, "CONVENE_SMS_PROVIDER": "log"}), []string{"CONVENE_SMS_PROVIDER=log"}},
		{"prod refuses the payment sandbox", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile, "CONVENE_PAYMENT_PROVIDER": "sandbox"}), []string{"CONVENE_PAYMENT_PROVIDER=sandbox"}},
		{"prod needs a ticket key", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile, "CONVENE_TICKET_MASTER_KEY": ""}), []string{"CONVENE_TICKET_MASTER_KEY"}},
		{"prod needs a social token key", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile, "CONVENE_SOCIAL_TOKEN_KEY": ""}), []string{"CONVENE_SOCIAL_TOKEN_KEY is required in prod"}},
		{"prod refuses the dev social token key", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile,
			"CONVENE_SOCIAL_TOKEN_KEY": "dev-public-not-secret:Y29udmVuZS1kZXYtc29jaWFsLWtleS1ub3QtcHJvZCE="}), []string{"holds the public dev key"}},
		{"malformed social token key", map[string]string{"CONVENE_SOCIAL_TOKEN_KEY": "main:short"}, []string{"CONVENE_SOCIAL_TOKEN_KEY: key \"main\""}},
		{"prod with secret file", prodEnv(map[string]string{"CONVENE_JWT_SECRET_FILE": secretFile}), nil},
		{"unknown env", map[string]string{"CONVENE_ENV": "staging"}, []string{"CONVENE_ENV"}},
		{"temporal on postgres", map[string]string{"CONVENE_TEMPORAL_STORE": "postgres"}, nil},
		{"unknown temporal store", map[string]string{"CONVENE_TEMPORAL_STORE": "mysql"}, []string{`CONVENE_TEMPORAL_STORE must be sqlite or postgres, got "mysql"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(env(tc.env))
			require.NoError(t, err)
			err = cfg.Finalize()
			if tc.wantErr == nil {
				require.NoError(t, err)
				assert.NotEmpty(t, cfg.JWTSecret)
				return
			}
			require.Error(t, err)
			for _, want := range tc.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestFinalize_SocialTokenKeyAndBlobDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		flags       []string
		wantBlobDir string
	}{
		{name: "defaults under the data dir", env: map[string]string{}, wantBlobDir: filepath.Join(".data", "blobs")},
		{name: "follows the data dir", env: map[string]string{"CONVENE_DATA_DIR": "/var/lib/convene"},
			wantBlobDir: "/var/lib/convene/blobs"},
		{name: "set by env", env: map[string]string{"CONVENE_BLOB_DIR": "/srv/media"}, wantBlobDir: "/srv/media"},
		{name: "the flag wins", env: map[string]string{"CONVENE_BLOB_DIR": "/srv/media"}, flags: []string{"--blob-dir", "/mnt/media"},
			wantBlobDir: "/mnt/media"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(env(tc.env))
			require.NoError(t, err)
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			cfg.BindFlags(fs)
			require.NoError(t, fs.Parse(tc.flags))
			require.NoError(t, cfg.Finalize())
			assert.Equal(t, tc.wantBlobDir, cfg.BlobDir)
			box, err := secretbox.FromEnv(cfg.SocialTokenKey)
			require.NoError(t, err, "dev fills a working social token key")
			assert.Equal(t, "dev-public-not-secret", box.CurrentKeyID())
		})
	}
	assert.Contains(t, config.EnvVars(), "CONVENE_SOCIAL_TOKEN_KEY")
	assert.Contains(t, config.EnvVars(), "CONVENE_BLOB_DIR")
}
