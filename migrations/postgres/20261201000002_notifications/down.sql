ALTER TABLE users DROP COLUMN unread_notifications;
ALTER TABLE users DROP COLUMN digest_sent_at;
ALTER TABLE users DROP COLUMN notify_email;
DROP TABLE product_follows;
DROP TABLE category_watches;
DROP TABLE topic_watches;
DROP TABLE notifications;
