-- The community forum: categories, topics, posts, their history and votes, tags, and
-- the outbox the search indexer reads.

-- Handles for @mentions and profile addresses; filled for existing accounts.
ALTER TABLE users ADD COLUMN username TEXT;
UPDATE users SET username = 'user' || id WHERE username IS NULL;
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id BIGINT REFERENCES categories (id) ON DELETE RESTRICT,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL CHECK (kind IN ('questions', 'releases', 'ideas', 'knowledge')),
    position BIGINT NOT NULL DEFAULT 0,
    topic_count BIGINT NOT NULL DEFAULT 0,
    post_count BIGINT NOT NULL DEFAULT 0,
    last_topic_id BIGINT,
    last_posted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX categories_slug_key ON categories (slug);
CREATE INDEX categories_parent_id_idx ON categories (parent_id);

CREATE TABLE topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    pinned BOOLEAN NOT NULL DEFAULT FALSE,
    locked BOOLEAN NOT NULL DEFAULT FALSE,
    accepted_post_id BIGINT,
    reply_count BIGINT NOT NULL DEFAULT 0,
    score BIGINT NOT NULL DEFAULT 0,
    status TEXT,
    official BOOLEAN NOT NULL DEFAULT FALSE,
    product TEXT,
    version TEXT,
    released_on DATE,
    merged_into_id BIGINT REFERENCES topics (id) ON DELETE SET NULL,
    last_posted_at TIMESTAMP NOT NULL,
    last_post_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX topics_category_latest_idx ON topics (category_id, last_posted_at, id);
CREATE INDEX topics_category_created_idx ON topics (category_id, created_at, id);
CREATE INDEX topics_latest_idx ON topics (last_posted_at, id);
CREATE INDEX topics_user_id_idx ON topics (user_id);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    number BIGINT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    score BIGINT NOT NULL DEFAULT 0,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    edit_count BIGINT NOT NULL DEFAULT 0,
    edited_at TIMESTAMP,
    deleted_at TIMESTAMP,
    deleted_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX posts_topic_id_number_key ON posts (topic_id, number);
CREATE INDEX posts_user_id_idx ON posts (user_id);

-- What a post (and, for an opening post, its topic's title) said before each edit.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    number BIGINT NOT NULL,
    title TEXT,
    body_markdown TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX post_revisions_post_id_number_key ON post_revisions (post_id, number);

CREATE TABLE post_votes (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    topic_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_name_key ON tags (name);

CREATE TABLE topic_tags (
    topic_id BIGINT NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (topic_id, tag_id)
);
CREATE INDEX topic_tags_tag_id_idx ON topic_tags (tag_id);

-- Written in the same transaction as every change to public content; the search
-- indexer applies the rows in id order.
CREATE TABLE search_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL CHECK (entity IN ('topic', 'post')),
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('upsert', 'delete')),
    created_at TIMESTAMP NOT NULL
);
