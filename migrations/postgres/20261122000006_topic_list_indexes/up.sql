-- Pinned topics are few: an index led by the flag finds them without walking every
-- topic of the category (a category's first page asks for them).
CREATE INDEX topics_pinned_category_latest_idx ON topics (pinned, category_id, last_posted_at, id);
