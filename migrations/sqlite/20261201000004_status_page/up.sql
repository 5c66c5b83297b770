-- The system status page: components, incidents and scheduled maintenance with timed
-- updates, and people subscribed by mail (double opt-in) to all or some components.
CREATE TABLE status_components (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    -- incident or maintenance
    kind TEXT NOT NULL,
    -- degraded, partial_outage, major_outage, maintenance
    impact TEXT NOT NULL,
    -- incident: investigating, identified, monitoring, resolved;
    -- maintenance: scheduled, in_progress, completed
    state TEXT NOT NULL,
    -- When it began, or when the maintenance is planned to begin and end.
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    resolved_at TIMESTAMP,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_open_idx ON incidents (resolved_at, starts_at);
CREATE TABLE incident_components (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    component_id BIGINT NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, component_id)
);
CREATE TABLE incident_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id, id);
CREATE TABLE status_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    -- A random token: the confirmation and unsubscribe links carry it.
    token TEXT NOT NULL UNIQUE,
    -- Every component, or only those in status_subscription_components.
    all_components BOOLEAN NOT NULL DEFAULT TRUE,
    confirmed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE status_subscription_components (
    subscription_id BIGINT NOT NULL REFERENCES status_subscriptions (id) ON DELETE CASCADE,
    component_id BIGINT NOT NULL REFERENCES status_components (id) ON DELETE CASCADE,
    PRIMARY KEY (subscription_id, component_id)
);
