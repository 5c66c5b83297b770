-- A refused message is kept whole in the file store (by its SHA-256), so that staff
-- can still make a ticket of it for a customer they choose.
ALTER TABLE inbound_mail ADD COLUMN raw_sha256 TEXT;
