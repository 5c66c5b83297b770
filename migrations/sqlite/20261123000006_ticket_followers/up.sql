-- Who follows a ticket and hears of its events by mail: the requester from the start,
-- and any authorized contact of the customer (or staff member) who chooses to.
CREATE TABLE ticket_followers (
    ticket_id BIGINT NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
-- Every requester follows the tickets they filed.
INSERT INTO ticket_followers (ticket_id, user_id, created_at)
SELECT id, requester_id, created_at FROM tickets;
