-- Live lease state for the SQL lease store (embedded mode; the Redis store keeps the same state in Redis).
-- One row per leasable or paused tracking number of a session pool. The primary key makes a number have at most one
-- holder; the partial unique index makes a session hold at most one number per pool.

-- migrate:up

CREATE TABLE number_lease_state (
  tracking_number_id  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  pool_id             TEXT NOT NULL,
  e164                TEXT NOT NULL,
  -- false: paused (still routed and keeps its holder, never newly leased).
  leasable            BOOLEAN NOT NULL DEFAULT true,
  lease_id            TEXT,
  session_id          TEXT,
  visitor_id          TEXT,
  leased_at           TIMESTAMPTZ,
  last_seen_at        TIMESTAMPTZ,
  -- last_seen_at + active window + hold: the lease ends here unless a heartbeat comes first.
  expires_at          TIMESTAMPTZ,
  reclaimed_from      TEXT,
  -- Least recently released first; new numbers start at the epoch so they go first.
  released_at         TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
  -- The last holder's visitor, for sticky re-leases.
  last_visitor_id     TEXT,
  CHECK ((lease_id IS NULL) = (session_id IS NULL))
);
CREATE UNIQUE INDEX number_lease_state_session_key ON number_lease_state (pool_id, session_id) WHERE lease_id IS NOT NULL;
-- Least recently released free number first.
CREATE INDEX number_lease_state_free_idx ON number_lease_state (pool_id, released_at, tracking_number_id) WHERE lease_id IS NULL AND leasable;
-- Expired leases and reclaim candidates (expiry order = last-seen order within a pool).
CREATE INDEX number_lease_state_busy_idx ON number_lease_state (pool_id, expires_at) WHERE lease_id IS NOT NULL;
CREATE INDEX number_lease_state_visitor_idx ON number_lease_state (pool_id, last_visitor_id) WHERE lease_id IS NULL;
CREATE INDEX number_lease_state_e164_idx ON number_lease_state (e164);

-- "Who held this number at t" reads the lease that started at or before t; this one serves "which leases were open".
CREATE INDEX number_leases_open_idx ON number_leases (pool_id) WHERE released_at IS NULL;

-- migrate:down

DROP INDEX IF EXISTS number_leases_open_idx;
DROP TABLE IF EXISTS number_lease_state;
