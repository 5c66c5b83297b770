ALTER TABLE inbound_mail DROP COLUMN raw_sha256;
