ALTER TABLE search_outbox ADD COLUMN action TEXT NOT NULL DEFAULT 'upsert' CHECK (action IN ('upsert', 'delete'));
