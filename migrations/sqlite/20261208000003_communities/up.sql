-- Product communities (forum::communities): each has its own four root categories (and
-- so its own Releases feed) and its own documentation link. Categories of no community
-- belong to the main one.
CREATE TABLE communities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    docs_url TEXT NOT NULL,
    position BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
ALTER TABLE categories ADD COLUMN community_id BIGINT REFERENCES communities (id) ON DELETE SET NULL;
CREATE INDEX categories_community ON categories (community_id);
-- Site-wide settings admins change while the site runs, by key (the documentation
-- link in the navigation).
CREATE TABLE site_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
