-- Where polling a CRM's change history has got to, per sink (RetailCRM orders/history: the last change id seen).
-- `claimed_until` lets one replica poll a sink at a time without holding a transaction over the HTTP calls.

-- migrate:up

CREATE TABLE crm_history_cursors (
  sink_id        TEXT PRIMARY KEY REFERENCES crm_sinks(id) ON DELETE CASCADE,
  account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- The largest change id already applied; null until the first poll has seen one.
  since_id       BIGINT,
  polled_at      TIMESTAMPTZ,
  claimed_until  TIMESTAMPTZ,
  last_error     TEXT
);

-- migrate:down

DROP TABLE crm_history_cursors;
