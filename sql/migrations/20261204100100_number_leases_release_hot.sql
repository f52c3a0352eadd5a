-- Lease history: every lease is one insert into number_leases and, when it ends, one update of released_at and
-- release_reason (the Redis stream flusher's upsert, the SQL and in-memory stores' update). That update could not be
-- a heap-only (HOT) one: number_leases_open_idx's predicate reads released_at, so each release wrote a new entry into
-- every index of the table (four), and the rows were packed full, so the new version went to another page. Nothing
-- reads that index (no query asks for a pool's open leases from history: the live lease state answers that), so it
-- goes; with room left on each page the release is a HOT update that touches no index.

-- migrate:up

DROP INDEX IF EXISTS number_leases_open_idx;
-- Room on each page for the released version of the rows inserted there (about one in four rows' worth; page
-- pruning gives back the space of the versions it replaced).
ALTER TABLE number_leases SET (fillfactor = 45);

-- migrate:down

ALTER TABLE number_leases RESET (fillfactor);
CREATE INDEX IF NOT EXISTS number_leases_open_idx ON number_leases (pool_id) WHERE released_at IS NULL;
