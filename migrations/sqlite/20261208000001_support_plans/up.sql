-- Support plans (portal::plans): per plan, the response target of each priority (an
-- amount and a unit: hours around the clock, business hours or business days), the
-- business calendar the business units count on, the statuses in which the clock
-- pauses, and whether its customers may escalate a case, with the hotline to call.
CREATE TABLE support_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    critical_amount BIGINT NOT NULL,
    critical_unit TEXT NOT NULL,
    high_amount BIGINT NOT NULL,
    high_unit TEXT NOT NULL,
    normal_amount BIGINT NOT NULL,
    normal_unit TEXT NOT NULL,
    zone TEXT NOT NULL,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    days TEXT NOT NULL,
    holidays TEXT NOT NULL,
    pauses TEXT NOT NULL,
    escalation BOOLEAN NOT NULL,
    hotline TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- Standard keeps the targets and the calendar every ticket had before plans.
INSERT INTO support_plans (id, name, critical_amount, critical_unit, high_amount, high_unit,
    normal_amount, normal_unit, zone, opens, closes, days, holidays, pauses, escalation,
    hotline, created_at, updated_at)
SELECT 1, 'Standard', 2, 'hours', 1, 'business_days', 2, 'business_days',
    COALESCE(b.zone, 'UTC'), COALESCE(b.opens, '09:00'), COALESCE(b.closes, '17:00'),
    COALESCE(b.days, 'mon,tue,wed,thu,fri'), COALESCE(b.holidays, ''), '', FALSE, '',
    CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM (SELECT 1) AS one LEFT JOIN business_calendar b ON b.id = 1;
INSERT INTO support_plans (id, name, critical_amount, critical_unit, high_amount, high_unit,
    normal_amount, normal_unit, zone, opens, closes, days, holidays, pauses, escalation,
    hotline, created_at, updated_at) VALUES
    (2, 'Premium', 1, 'hours', 8, 'business_hours', 1, 'business_days', 'UTC', '08:00',
     '18:00', 'mon,tue,wed,thu,fri', '', 'customer_pending', FALSE, '',
     CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    (3, 'Enterprise', 30, 'minutes', 4, 'business_hours', 1, 'business_days', 'UTC', '07:00',
     '19:00', 'mon,tue,wed,thu,fri', '', 'customer_pending,awaiting_authorization,meeting_scheduled',
     TRUE, '+1 555 0100', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

-- Partners that support their own customers (resellers, OEMs).
CREATE TABLE partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    support_email TEXT NOT NULL,
    support_url TEXT NOT NULL,
    -- 'mail': a ticket filed here is mailed to the partner; 'refuse': the form says
    -- where to go instead.
    filing TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- An organization's plan, its own time zone and holidays (replacing and adding to its
-- plan's), its customer success manager and the partner that supports it. SQLite
-- refuses a REFERENCES clause on an added column with a default, so the plan's is kept
-- by the service; PostgreSQL has the constraint.
ALTER TABLE organizations ADD COLUMN plan_id BIGINT NOT NULL DEFAULT 1;
ALTER TABLE organizations ADD COLUMN time_zone TEXT;
ALTER TABLE organizations ADD COLUMN holidays TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN success_manager_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE organizations ADD COLUMN partner_id BIGINT REFERENCES partners (id) ON DELETE SET NULL;

-- The plan a ticket was filed under; whether its SLA clock is paused now; how far it
-- was escalated, and when last.
ALTER TABLE tickets ADD COLUMN plan_id BIGINT NOT NULL DEFAULT 1;
ALTER TABLE tickets ADD COLUMN sla_paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tickets ADD COLUMN escalation_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN escalated_at TIMESTAMP;
CREATE INDEX tickets_escalated ON tickets (escalated_at) WHERE escalated_at IS NOT NULL;

-- A member's request to become an authorized contact of their organization, in its
-- customer success manager's queue until decided.
CREATE TABLE contact_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- 'granted' or 'declined' once decided
    outcome TEXT
);
-- One open request per member.
CREATE UNIQUE INDEX contact_requests_open ON contact_requests (user_id) WHERE decided_at IS NULL;

-- Escalations go in a ticket's log: SQLite changes a CHECK only by rebuilding the table
-- (nothing refers to it).
CREATE TABLE ticket_events_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'assigned', 'status', 'priority', 'note', 'attachment', 'escalated')),
    -- Internal notes (public = false) are for staff only.
    public BOOLEAN NOT NULL DEFAULT TRUE,
    from_value TEXT,
    to_value TEXT,
    body_markdown TEXT,
    body_html TEXT,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO ticket_events_new (id, ticket_id, actor_id, kind, public, from_value, to_value,
    body_markdown, body_html, created_at)
SELECT id, ticket_id, actor_id, kind, public, from_value, to_value, body_markdown, body_html,
    created_at FROM ticket_events;
DROP TABLE ticket_events;
ALTER TABLE ticket_events_new RENAME TO ticket_events;
CREATE INDEX ticket_events_ticket_id_idx ON ticket_events (ticket_id, id);
