-- Who watches which group's chat, per open WatchMessages stream: the
-- chat push (social.chat_push) skips members with a live row. Streams
-- refresh their rows every heartbeat and delete them when they end; a row
-- of a process that died expires.
CREATE TABLE chat_presence (
    stream_id  uuid NOT NULL,
    group_id   uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (stream_id, group_id)
);
CREATE INDEX chat_presence_group_idx ON chat_presence (group_id, user_id, expires_at);
