-- Links between community threads and tickets: a thread escalated to a ticket, a
-- ticket's solution published back to its thread as an answer.
CREATE TABLE links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- topic, ticket or post
    from_kind TEXT NOT NULL,
    from_id BIGINT NOT NULL,
    -- escalated_to (topic -> ticket), answered_in (ticket -> post)
    relation TEXT NOT NULL,
    to_kind TEXT NOT NULL,
    to_id BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX links_unique ON links (from_kind, from_id, relation, to_kind, to_id);
-- A thread is escalated once: a second attempt finds the first ticket.
CREATE UNIQUE INDEX links_one_escalation ON links (from_kind, from_id) WHERE relation = 'escalated_to';
CREATE INDEX links_to_idx ON links (to_kind, to_id);
