-- A person's own time zone for the times pages show (IANA name); none: the browser's.
ALTER TABLE users ADD COLUMN time_zone TEXT;
