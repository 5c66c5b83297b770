-- Mail waiting to go out, written in the same transaction as the event that caused it
-- and delivered by a background task. `event_key` names the event and the recipient:
-- one event never queues two messages for one person.
CREATE TABLE mail_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL,
    to_name TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    message_id TEXT NOT NULL,
    in_reply_to TEXT,
    list_unsubscribe TEXT,
    -- pending, sending (claimed until lease_until), sent, failed (gave up)
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    -- The sender that claimed it: a random token per round.
    claimed_by TEXT,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX mail_outbox_event_key_key ON mail_outbox (event_key);
CREATE INDEX mail_outbox_status_next_idx ON mail_outbox (status, next_attempt_at);
