-- Rate limits shared by every node: one row per limited key, holding the time (in
-- milliseconds since 1970) at which its allowance is whole again (web::rate_limit).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    full_at_ms BIGINT NOT NULL
);
-- Stored files kept in the database, so that every node serves what any node stored
-- (files::shared): a file's parts of up to 1 MiB, and the file once all its parts are in.
CREATE TABLE file_parts (
    sha256 TEXT NOT NULL,
    part INTEGER NOT NULL,
    bytes BYTEA NOT NULL,
    PRIMARY KEY (sha256, part)
);
CREATE TABLE shared_files (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    parts INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Moved on by every write transaction once it has committed; each node looks at it a
-- few times a second to know whether what it keeps in memory may be stale (db::watch).
CREATE SEQUENCE parley_writes;
