-- Every message received for the support address, with what became of it: a ticket, a
-- note on a ticket, or refused (unknown sender, auto-reply, bounce, ...) and why.
CREATE TABLE inbound_mail (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT,
    from_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    ticket_id BIGINT REFERENCES tickets (id) ON DELETE SET NULL,
    size BIGINT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX inbound_mail_message_id_key ON inbound_mail (message_id);
CREATE INDEX inbound_mail_received_at_idx ON inbound_mail (received_at);
