-- What a sent message says of itself in its Auto-Submitted header (RFC 3834):
-- auto-replied for an answer to a message that came in (a refused sender's reply),
-- auto-generated for everything else, so that no auto-responder answers it in a loop.
ALTER TABLE mail_outbox ADD COLUMN auto_submitted TEXT NOT NULL DEFAULT 'auto-generated';
-- Whether a ticket's requester is known to have sent it: false for a ticket by mail
-- whose sender the trusted receiving server did not authenticate, until the requester
-- confirms it signed in.
ALTER TABLE tickets ADD COLUMN sender_verified BOOLEAN NOT NULL DEFAULT TRUE;
-- What the trusted receiving server said of a received message's sender:
-- "pass (dmarc)", "fail (spf)", "none"; empty for messages refused before the check.
ALTER TABLE inbound_mail ADD COLUMN sender_check TEXT;
