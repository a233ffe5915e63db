-- The inbox lists a caller's open assignments earliest due first
-- (approval_assignments_inbox_idx); a step's open assignments are found
-- by request and step.
CREATE INDEX approval_assignments_step_idx ON approval_assignments (approval_request_id, step_number) WHERE status = 'open';
