-- Ideas: one vote per member per idea, and the staff's official response.
CREATE TABLE topic_votes (
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (topic_id, user_id)
);
CREATE INDEX topic_votes_user_id_idx ON topic_votes (user_id);
CREATE INDEX topic_votes_created_at_idx ON topic_votes (created_at);

ALTER TABLE topics ADD COLUMN response_markdown TEXT;
ALTER TABLE topics ADD COLUMN response_html TEXT;
ALTER TABLE topics ADD COLUMN response_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE topics ADD COLUMN status_changed_at TIMESTAMP;
