-- Downloads of a release: an uploaded file (stored by its SHA-256 under data/files/)
-- or a link.
CREATE TABLE downloads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    url TEXT,
    sha256 TEXT,
    filename TEXT,
    size BIGINT,
    content_type TEXT,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK ((url IS NULL) <> (sha256 IS NULL))
);
CREATE INDEX downloads_topic_id_idx ON downloads (topic_id);
CREATE INDEX downloads_sha256_idx ON downloads (sha256);
CREATE INDEX topics_product_idx ON topics (product);
