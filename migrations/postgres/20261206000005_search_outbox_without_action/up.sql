-- Nothing ever read which action a search_outbox row named: the indexer looks each
-- entity up and indexes what is there, or removes what is gone.
ALTER TABLE search_outbox DROP COLUMN action;
