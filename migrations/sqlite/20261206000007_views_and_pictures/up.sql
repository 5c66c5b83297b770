-- How many times a topic was read: counted in memory per node, once per reader and
-- hour, and added here every few seconds (forum::counting).
ALTER TABLE topics ADD COLUMN views BIGINT NOT NULL DEFAULT 0;
-- A person's own picture: the SHA-256 of an image in the file store; none: initials.
ALTER TABLE users ADD COLUMN avatar_sha256 TEXT;
