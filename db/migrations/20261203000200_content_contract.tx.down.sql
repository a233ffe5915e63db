DROP INDEX IF EXISTS content_templates_org_name_idx;

ALTER TABLE content_templates DROP CONSTRAINT content_templates_content_type_check,
    ADD CONSTRAINT content_templates_content_type_check
        CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article'));
ALTER TABLE content DROP CONSTRAINT content_content_type_check,
    ADD CONSTRAINT content_content_type_check
        CHECK (content_type IN ('post', 'story', 'reel', 'thread', 'article'));
