-- Calls through Twilio: encrypted provider credentials per account, blocked callers per site, and the provider call
-- id on raw call events so an event that arrives before its call (out of order) can be applied when the call appears.

-- migrate:up

CREATE TABLE provider_accounts (
  id               TEXT PRIMARY KEY,
  account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  provider         TEXT NOT NULL CHECK (provider IN ('twilio')),
  -- Twilio Account SID (AC...): webhooks name it, so it maps a webhook to its account and auth token.
  external_id      TEXT NOT NULL,
  -- AES-256-GCM: base64(iv 12 bytes | tag 16 bytes | ciphertext), key from ENCRYPTION_KEY.
  secret_enc       TEXT NOT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (provider, external_id)
);
CREATE INDEX provider_accounts_account_idx ON provider_accounts (account_id);

CREATE TABLE blocked_callers (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  e164        TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (site_id, e164)
);
CREATE INDEX blocked_callers_account_idx ON blocked_callers (account_id);

ALTER TABLE call_events ADD COLUMN provider_call_id TEXT;
-- Events waiting for their call (call_id null) are looked up by the provider's call id.
CREATE INDEX call_events_pending_idx ON call_events (provider, provider_call_id) WHERE call_id IS NULL;
ALTER TABLE call_events ALTER COLUMN account_id DROP NOT NULL;

-- True once a provider reported the talk time (Dial outcome, agent leg): such a report outranks an earlier end
-- derived from the parent leg, which arrives out of order and cannot tell a ringing-out call from a conversation.
ALTER TABLE calls ADD COLUMN talk_reported BOOLEAN NOT NULL DEFAULT false;

-- migrate:down

ALTER TABLE calls DROP COLUMN talk_reported;
ALTER TABLE call_events DROP COLUMN provider_call_id;
DROP TABLE blocked_callers;
DROP TABLE provider_accounts;
