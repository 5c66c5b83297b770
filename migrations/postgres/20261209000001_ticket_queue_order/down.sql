DROP INDEX tickets_due_order_idx;
