-- Which node reads a support mailbox over IMAP: one at a time, while its lease lasts.
CREATE TABLE mailbox_readers (
    mailbox TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    lease_until TIMESTAMP NOT NULL
);
