-- The escalations leave the log; SQLite keeps the wider CHECK, which allows the rest.
DELETE FROM ticket_events WHERE kind = 'escalated';
DROP TABLE contact_requests;
DROP INDEX tickets_escalated;
ALTER TABLE tickets DROP COLUMN escalated_at;
ALTER TABLE tickets DROP COLUMN escalation_level;
ALTER TABLE tickets DROP COLUMN sla_paused;
ALTER TABLE tickets DROP COLUMN plan_id;
ALTER TABLE organizations DROP COLUMN partner_id;
ALTER TABLE organizations DROP COLUMN success_manager_id;
ALTER TABLE organizations DROP COLUMN holidays;
ALTER TABLE organizations DROP COLUMN time_zone;
ALTER TABLE organizations DROP COLUMN plan_id;
DROP TABLE partners;
DROP TABLE support_plans;
