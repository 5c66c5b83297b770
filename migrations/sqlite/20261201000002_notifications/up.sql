-- What happened that a person cares about, shown in the site's notification list and
-- mailed at once or in a daily digest, as the person chose. One row per person and
-- event (event_key), written in the same transaction as the event.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- reply, mention, watched_topic, watched_category, accepted, idea_status, release
    kind TEXT NOT NULL,
    event_key TEXT NOT NULL,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    post_id BIGINT,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The topic's title, and a detail (an idea's new status, a release's version).
    title TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP,
    -- Mailed at once, in a digest, or settled without mail (mail turned off).
    mailed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX notifications_user_event_key ON notifications (user_id, event_key);
CREATE INDEX notifications_user_id_idx ON notifications (user_id, id);
CREATE INDEX notifications_unmailed_idx ON notifications (mailed, user_id);

-- Topics a person watches (every new post), categories (new topics, or every post)
-- and products whose releases they follow.
CREATE TABLE topic_watches (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, topic_id)
);
CREATE INDEX topic_watches_topic_idx ON topic_watches (topic_id);
CREATE TABLE category_watches (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    -- new_topics or all_posts
    level TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, category_id)
);
CREATE INDEX category_watches_category_idx ON category_watches (category_id);
CREATE TABLE product_follows (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, product)
);
CREATE INDEX product_follows_product_idx ON product_follows (product);

-- How a person hears of notifications by mail: immediate, digest or off; and how many
-- are unread (kept with each change, so the header needs no count).
ALTER TABLE users ADD COLUMN notify_email TEXT NOT NULL DEFAULT 'immediate';
ALTER TABLE users ADD COLUMN digest_sent_at TIMESTAMP;
ALTER TABLE users ADD COLUMN unread_notifications BIGINT NOT NULL DEFAULT 0;
