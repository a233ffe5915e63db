-- The content.v1 API contract next to the first content schema: its
-- content types include video and announcement (reel and thread stay for
-- the seed's rows), and a template's name is unique in its organization
-- (CreateTemplate answers AlreadyExists).

ALTER TABLE content DROP CONSTRAINT content_content_type_check,
    ADD CONSTRAINT content_content_type_check
        CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article', 'video', 'announcement'));
ALTER TABLE content_templates DROP CONSTRAINT content_templates_content_type_check,
    ADD CONSTRAINT content_templates_content_type_check
        CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article', 'video', 'announcement'));

CREATE UNIQUE INDEX content_templates_org_name_idx ON content_templates (organization_id, lower(name)) WHERE deleted_at IS NULL;
