-- The staff queue by due time (a ticket page's "next ticket") walks tickets in this
-- order instead of sorting every open ticket on each page.
CREATE INDEX tickets_due_order_idx ON tickets (sla_due_at, id);
