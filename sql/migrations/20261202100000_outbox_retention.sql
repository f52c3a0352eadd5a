-- Delivered outbox rows are deleted after OUTBOX_RETENTION_DAYS by the outbox.prune job, which finds them by
-- delivery time; without this index each run would scan the whole table.

-- migrate:up

CREATE INDEX IF NOT EXISTS outbox_delivered_idx ON outbox (delivered_at) WHERE status = 'delivered';

-- migrate:down

DROP INDEX IF EXISTS outbox_delivered_idx;
