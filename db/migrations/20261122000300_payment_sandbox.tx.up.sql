-- State of the sandbox payment provider (used by `make run` and tests), kept
-- in Postgres so a dev restart does not lose checkouts in flight.
CREATE TABLE sandbox_payments (
    id text PRIMARY KEY, order_id text NOT NULL UNIQUE, amount bigint NOT NULL, currency text NOT NULL,
    description text NOT NULL DEFAULT '', status text NOT NULL, amount_refunded bigint NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE sandbox_refunds (
    idempotency_key text PRIMARY KEY, id text NOT NULL UNIQUE, payment_id text NOT NULL REFERENCES sandbox_payments (id),
    amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE sandbox_webhook_events (
    id text PRIMARY KEY, payment_id text NOT NULL REFERENCES sandbox_payments (id), type text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
