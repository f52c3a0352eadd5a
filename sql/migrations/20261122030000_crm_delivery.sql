-- CRM delivery: where leads go (crm_sinks), which CRM record each call became (crm_leads), what the CRM told us back
-- (conversions), and a lease token on the outbox so a worker whose lease ran out cannot settle a row another worker holds.

-- migrate:up

ALTER TABLE outbox ADD COLUMN IF NOT EXISTS lease_id TEXT;
-- Claims keep events of one aggregate in order per sink: finding the earlier open row must be cheap.
CREATE INDEX IF NOT EXISTS outbox_open_aggregate_idx ON outbox (aggregate_id, topic, id) WHERE status IN ('pending', 'delivering');

CREATE TABLE IF NOT EXISTS crm_sinks (
  id                   TEXT PRIMARY KEY,
  account_id           TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  -- null: every site of the account (the sink configured through LEADS_WEBHOOK_URL).
  site_id              TEXT REFERENCES sites(id) ON DELETE CASCADE,
  kind                 TEXT NOT NULL CHECK (kind IN ('webhook', 'retailcrm', 'bitrix24', 'amocrm')),
  name                 TEXT NOT NULL,
  -- Non-secret settings (URL, store code, pipeline...).
  config               JSONB NOT NULL DEFAULT '{}'::jsonb,
  -- AES-256-GCM sealed JSON of the secrets (API key, webhook secret, tokens); never returned by the API.
  secrets_sealed       TEXT,
  deliver_on           TEXT[] NOT NULL DEFAULT ARRAY['call.ended', 'recording.ready'],
  status               TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  disabled_reason      TEXT,
  feedback_token_hash  TEXT,
  -- 'env' for the sink managed from LEADS_WEBHOOK_URL, null for sinks made through the API.
  managed_by           TEXT,
  created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS crm_sinks_site_idx ON crm_sinks (account_id, site_id);
CREATE UNIQUE INDEX IF NOT EXISTS crm_sinks_managed_idx ON crm_sinks (account_id, managed_by) WHERE managed_by IS NOT NULL;

-- The CRM's record for a call, per sink: a later event updates it instead of creating a second one.
CREATE TABLE IF NOT EXISTS crm_leads (
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sink_id             TEXT NOT NULL REFERENCES crm_sinks(id) ON DELETE CASCADE,
  call_id             TEXT NOT NULL,
  external_record_id  TEXT NOT NULL,
  -- Sink-specific ids learnt along the way (Bitrix24 CALL_ID of the telephony statistics row...).
  details             JSONB NOT NULL DEFAULT '{}'::jsonb,
  last_trigger        TEXT,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (sink_id, call_id)
);
CREATE INDEX IF NOT EXISTS crm_leads_external_idx ON crm_leads (sink_id, external_record_id);

-- Stage and revenue reported back by a CRM for a lead.
CREATE TABLE IF NOT EXISTS conversions (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  call_id             TEXT,
  sink_id             TEXT NOT NULL REFERENCES crm_sinks(id) ON DELETE CASCADE,
  external_record_id  TEXT NOT NULL,
  stage               TEXT NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('won', 'lost', 'open')),
  revenue             NUMERIC(14, 2),
  currency            TEXT,
  occurred_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (sink_id, external_record_id, stage)
);
CREATE INDEX IF NOT EXISTS conversions_account_idx ON conversions (account_id, occurred_at DESC);
CREATE INDEX IF NOT EXISTS conversions_call_idx ON conversions (call_id);

-- migrate:down

DROP TABLE IF EXISTS conversions;
DROP TABLE IF EXISTS crm_leads;
DROP TABLE IF EXISTS crm_sinks;
DROP INDEX IF EXISTS outbox_open_aggregate_idx;
ALTER TABLE outbox DROP COLUMN IF EXISTS lease_id;
