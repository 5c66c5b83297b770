-- The support portal: what a customer files against (environments, applications,
-- keywords), tickets, every event of a ticket, and the business calendar of the SLAs.

CREATE TABLE environments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX environments_organization_id_name_key ON environments (organization_id, name);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX applications_organization_id_name_key ON applications (organization_id, name);

CREATE TABLE keywords (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX keywords_name_key ON keywords (name);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    requester_id BIGINT NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    priority TEXT NOT NULL CHECK (priority IN ('critical', 'high', 'normal')),
    status TEXT NOT NULL,
    environment_id BIGINT REFERENCES environments (id) ON DELETE SET NULL,
    application_id BIGINT REFERENCES applications (id) ON DELETE SET NULL,
    keyword_id BIGINT REFERENCES keywords (id) ON DELETE SET NULL,
    subject TEXT NOT NULL,
    description_markdown TEXT NOT NULL,
    description_html TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'web',
    -- "Production Down" from someone who is not an authorized contact: staff look first.
    flagged BOOLEAN NOT NULL DEFAULT FALSE,
    follows_ticket_id BIGINT REFERENCES tickets (id) ON DELETE SET NULL,
    sla_due_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    closed_at TIMESTAMP,
    archived_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX tickets_organization_id_updated_idx ON tickets (organization_id, updated_at);
CREATE INDEX tickets_status_updated_idx ON tickets (status, updated_at);
CREATE INDEX tickets_assignee_id_idx ON tickets (assignee_id);
CREATE INDEX tickets_sla_due_idx ON tickets (first_response_at, sla_due_at);

CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'assigned', 'status', 'priority', 'note', 'attachment')),
    -- Internal notes (public = false) are for staff only.
    public BOOLEAN NOT NULL DEFAULT TRUE,
    from_value TEXT,
    to_value TEXT,
    body_markdown TEXT,
    body_html TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_events_ticket_id_idx ON ticket_events (ticket_id, id);

-- One row: the calendar business-day SLAs are counted on.
CREATE TABLE business_calendar (
    id BIGINT PRIMARY KEY,
    zone TEXT NOT NULL DEFAULT 'UTC',
    opens TEXT NOT NULL DEFAULT '09:00',
    closes TEXT NOT NULL DEFAULT '17:00',
    days TEXT NOT NULL DEFAULT 'mon,tue,wed,thu,fri',
    holidays TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
