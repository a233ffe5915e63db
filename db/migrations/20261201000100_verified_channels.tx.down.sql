ALTER TABLE users
    DROP COLUMN phone_verified_at,
    DROP COLUMN email_verified_at;
