DROP TABLE email_verifications;
DROP INDEX users_verified_email_key;
-- Unverified duplicates would break the old index: keep the verified owner's.
UPDATE users u SET email = NULL
WHERE email_verified_at IS NULL AND email IS NOT NULL
  AND EXISTS (SELECT 1 FROM users v WHERE v.id <> u.id AND lower(v.email) = lower(u.email)
              AND (v.email_verified_at IS NOT NULL OR v.id < u.id));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
DROP TABLE organization_invitations;
