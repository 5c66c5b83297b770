-- Counts every change to a topic or its posts, so that a cached page knows it is stale.
ALTER TABLE topics ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
