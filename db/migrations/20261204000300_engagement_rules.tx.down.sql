DROP TABLE IF EXISTS rule_executions;
DROP TABLE IF EXISTS rule_cap_counters;
DROP TABLE IF EXISTS gamification_rules;
ALTER TABLE domain_events DROP CONSTRAINT IF EXISTS domain_events_org_id_key;
