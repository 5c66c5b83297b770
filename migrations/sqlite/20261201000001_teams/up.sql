-- Team lists: who hears of every Critical ticket. Members are staff accounts; a team
-- may also name the address of a list kept in the mail server.
CREATE TABLE teams (
    id BIGINT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    list_address TEXT,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
INSERT INTO teams (id, slug, name, list_address, updated_at) VALUES
    (1, 'support', 'Support', NULL, CURRENT_TIMESTAMP),
    (2, 'infrastructure', 'Infrastructure', NULL, CURRENT_TIMESTAMP),
    (3, 'framework', 'Framework', NULL, CURRENT_TIMESTAMP),
    (4, 'customer-success', 'Customer Success', NULL, CURRENT_TIMESTAMP);
