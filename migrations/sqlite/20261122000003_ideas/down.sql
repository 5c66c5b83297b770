ALTER TABLE topics DROP COLUMN status_changed_at;
ALTER TABLE topics DROP COLUMN response_user_id;
ALTER TABLE topics DROP COLUMN response_html;
ALTER TABLE topics DROP COLUMN response_markdown;
DROP TABLE topic_votes;
