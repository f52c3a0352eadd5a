-- Pool health over time: one row per pool per sampling interval per gateway process. Counts add up across
-- replicas; in_use is the pool-wide view, so readers take the maximum per bucket.

-- migrate:up

CREATE TABLE pool_health_samples (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  pool_id     TEXT NOT NULL,
  at          TIMESTAMPTZ NOT NULL,
  size        INTEGER NOT NULL,
  in_use      INTEGER NOT NULL,
  leases      INTEGER NOT NULL DEFAULT 0,
  blocked     INTEGER NOT NULL DEFAULT 0,
  reclaims    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX pool_health_samples_pool_time_idx ON pool_health_samples (pool_id, at DESC);

-- migrate:down

DROP TABLE IF EXISTS pool_health_samples;
