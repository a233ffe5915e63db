DROP TABLE sandbox_webhook_events;
DROP TABLE sandbox_refunds;
DROP TABLE sandbox_payments;
