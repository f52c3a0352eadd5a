-- Autoscaling of a session pool (opt-in): its settings and the state of its timers, and the log of every action it
-- took or proposes, which an admin can undo (pause, quarantine) or must confirm (release of a number that took calls).

-- migrate:up

CREATE TABLE pool_autoscale (
  pool_id       TEXT PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- {enabled, maxSize, monthlyCostCap, numberMonthlyCost, currency, country, areaCode, growAfterMinutes, ...}
  settings      JSONB NOT NULL,
  -- Since when the recommended size has stayed above (or below) the pool's active numbers; null when it is not.
  above_since   TIMESTAMPTZ,
  below_since   TIMESTAMPTZ,
  -- A replica's claim on the pool's round (server mode runs the job on every replica): only one buys or pauses.
  claimed_until TIMESTAMPTZ,
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE pool_autoscale_actions (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  pool_id             TEXT NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
  tracking_number_id  TEXT REFERENCES tracking_numbers(id) ON DELETE SET NULL,
  e164                TEXT,
  action              TEXT NOT NULL CHECK (action IN ('buy', 'pause', 'quarantine', 'release', 'unpause', 'unquarantine')),
  -- done; pending (waits for an admin); undone (reversed by an admin); rejected (an admin kept the number); failed
  status              TEXT NOT NULL CHECK (status IN ('done', 'pending', 'undone', 'rejected', 'failed')),
  -- The figures behind it: recommended size, active numbers, monthly cost, calls in the last 30 days, error.
  details             JSONB NOT NULL DEFAULT '{}'::jsonb,
  -- Who: null for the autoscaler itself; the user or API key of an admin's undo, confirm or rejection.
  decided_by          TEXT,
  decided_at          TIMESTAMPTZ,
  created_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX pool_autoscale_actions_pool_idx ON pool_autoscale_actions (pool_id, created_at DESC);

-- migrate:down

DROP TABLE pool_autoscale_actions;
DROP TABLE pool_autoscale;
