-- A phone or email address is a channel Convene may send to only once its
-- owner has proved it: the phone by an OTP login, the email by a code.
-- Accounts created by someone else (an invitation by phone or email) start
-- unverified and receive nothing but the invitation itself.
ALTER TABLE users
    ADD COLUMN phone_verified_at timestamptz,
    ADD COLUMN email_verified_at timestamptz;

-- Everyone who has logged in proved their phone with an OTP.
UPDATE users SET phone_verified_at = last_login_at WHERE last_login_at IS NOT NULL;
