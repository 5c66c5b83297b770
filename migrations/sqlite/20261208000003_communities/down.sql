DROP TABLE site_settings;
DROP INDEX categories_community;
ALTER TABLE categories DROP COLUMN community_id;
DROP TABLE communities;
