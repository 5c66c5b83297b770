-- Deflection (portal::deflection): one row per visit of the ask form or the ticket form
-- in which something was typed, with what was searched, shown and opened, whether the
-- person said a thread answered them, and whether a question or ticket followed within
-- 30 minutes. Nothing personal beyond the account id; rows older than the retention
-- period are deleted.
CREATE TABLE deflection_visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'ask' (a community question, idea or article) or 'ticket'
    form TEXT NOT NULL,
    category_id BIGINT REFERENCES categories (id) ON DELETE SET NULL,
    priority TEXT,
    application_id BIGINT REFERENCES applications (id) ON DELETE SET NULL,
    query TEXT NOT NULL,
    queries BIGINT NOT NULL,
    empty_queries BIGINT NOT NULL,
    shown BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    answered_topic_id BIGINT REFERENCES topics (id) ON DELETE SET NULL,
    filed_kind TEXT,
    filed_id BIGINT,
    filed_at TIMESTAMP,
    started_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL
);
CREATE INDEX deflection_visits_user ON deflection_visits (user_id, started_at);
CREATE INDEX deflection_visits_started ON deflection_visits (started_at);
-- The threads a visit showed, and which of them were opened.
CREATE TABLE deflection_threads (
    visit_id BIGINT NOT NULL REFERENCES deflection_visits (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    opened_at TIMESTAMP,
    PRIMARY KEY (visit_id, topic_id)
);
