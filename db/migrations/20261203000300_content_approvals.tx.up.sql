-- An approval chain may require approval of the content it matches even
-- when the content itself does not ask for it (ApprovalWorkflow's
-- approval_required_default in convene.content.v1).
ALTER TABLE approval_workflows
    ADD COLUMN approval_required_default boolean NOT NULL DEFAULT false;

-- The inbox lists a caller's open assignments earliest due first
-- (approval_assignments_inbox_idx); a step's open assignments are found
-- by request and step.
CREATE INDEX approval_assignments_step_idx ON approval_assignments (approval_request_id, step_number) WHERE status = 'open';
