-- One lead per customer: a call starts a lead unless the same contact already has one on the site that started within
-- the site's lead window (settings.leadWindowHours); a repeat call joins it. Later inquiry kinds (web form, callback,
-- email, chat) join the same lead by the same rule, so `kind` names how the lead began, not all it contains.
-- The CRM outcome lives on the lead: status won = a deal, amount = revenue in the site's currency.
-- Also: the analytics client ids the widget reads from cookies, on the web session; GA4 as a sink kind.

-- migrate:up

CREATE TABLE leads (
  id                 TEXT PRIMARY KEY,
  account_id         TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id            TEXT REFERENCES sites(id) ON DELETE SET NULL,
  -- The contact that identifies the customer (E.164 caller for calls).
  contact            TEXT NOT NULL,
  kind               TEXT NOT NULL DEFAULT 'call' CHECK (kind IN ('call', 'form', 'callback', 'email', 'chat')),
  -- The inquiry that started the lead (a call id for kind 'call'); its attribution is the lead's.
  first_inquiry_id   TEXT NOT NULL,
  started_at         TIMESTAMPTZ NOT NULL,
  last_inquiry_at    TIMESTAMPTZ NOT NULL,
  inquiries          INTEGER NOT NULL DEFAULT 1,
  channel_id         TEXT REFERENCES channels(id) ON DELETE SET NULL,
  session_id         TEXT,
  visitor_id         TEXT,
  status             TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
  -- Deal amount as the CRM reported it, always in the site's currency (other currencies are refused).
  amount             NUMERIC(14, 2),
  currency           TEXT,
  -- When status last changed (the deal date for won leads).
  status_changed_at  TIMESTAMPTZ,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- "Does this caller have a lead on this site started within the window?"
CREATE INDEX leads_contact_idx ON leads (account_id, site_id, contact, started_at DESC);
CREATE INDEX leads_site_time_idx ON leads (account_id, site_id, started_at);

ALTER TABLE calls ADD COLUMN lead_id TEXT REFERENCES leads(id) ON DELETE SET NULL;
CREATE INDEX calls_lead_idx ON calls (lead_id);

-- Which lead a CRM record and a reported outcome belong to.
ALTER TABLE crm_leads ADD COLUMN lead_id TEXT;
CREATE INDEX crm_leads_lead_idx ON crm_leads (sink_id, lead_id);
ALTER TABLE conversions ADD COLUMN lead_id TEXT;
CREATE INDEX conversions_lead_idx ON conversions (lead_id);

-- {ym?: _ym_uid value, ga?: GA4 client id "<random>.<timestamp>"}
ALTER TABLE web_sessions ADD COLUMN client_ids JSONB NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE crm_sinks DROP CONSTRAINT IF EXISTS crm_sinks_kind_check;
ALTER TABLE crm_sinks ADD CONSTRAINT crm_sinks_kind_check CHECK (kind IN ('webhook', 'retailcrm', 'bitrix24', 'amocrm', 'ga4'));

-- migrate:down

ALTER TABLE crm_sinks DROP CONSTRAINT IF EXISTS crm_sinks_kind_check;
ALTER TABLE crm_sinks ADD CONSTRAINT crm_sinks_kind_check CHECK (kind IN ('webhook', 'retailcrm', 'bitrix24', 'amocrm'));
ALTER TABLE web_sessions DROP COLUMN client_ids;
DROP INDEX IF EXISTS conversions_lead_idx;
ALTER TABLE conversions DROP COLUMN lead_id;
DROP INDEX IF EXISTS crm_leads_lead_idx;
ALTER TABLE crm_leads DROP COLUMN lead_id;
DROP INDEX IF EXISTS calls_lead_idx;
ALTER TABLE calls DROP COLUMN lead_id;
DROP TABLE leads;
