-- Sessions signed out before they expire. A session cookie is signed and names its own
-- id; signing out records that id here, so the cookie stops working on every node even
-- when someone copied it. A row is kept until the cookie would have expired anyway.
CREATE TABLE revoked_sessions (
    session_id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);
