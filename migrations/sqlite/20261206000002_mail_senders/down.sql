ALTER TABLE inbound_mail DROP COLUMN sender_check;
ALTER TABLE tickets DROP COLUMN sender_verified;
ALTER TABLE mail_outbox DROP COLUMN auto_submitted;
