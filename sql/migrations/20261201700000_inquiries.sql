-- Inquiries other than inbound calls: web forms, callback requests and emails. Each joins the customer lead model
-- (leads) by the same contact and window as calls; a callback request's placed call is a calls row with direction
-- 'callback'. Per-site inquiry settings live beside the site (not in sites.settings) with their own signing secret.

-- migrate:up

CREATE TABLE inquiries (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id       TEXT REFERENCES sites(id) ON DELETE SET NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('form', 'callback', 'email')),
  -- Where it came from: the widget (browser), the signed server endpoint, a mail provider's webhook, our SMTP listener.
  origin        TEXT NOT NULL CHECK (origin IN ('widget', 'server', 'mailgun', 'postmark', 'sendgrid', 'smtp')),
  -- The client's own id of the submission (form id + submit time, Message-ID...): a repeat is the same inquiry.
  external_key  TEXT,
  phone         TEXT,
  email         TEXT,
  name          TEXT,
  -- Form name, email subject.
  subject       TEXT,
  -- Message text (form comment, email plain text, at most 10 000 characters).
  message       TEXT,
  -- The other fields the form had (name -> value), never passwords, card numbers or hidden fields.
  fields        JSONB NOT NULL DEFAULT '{}'::jsonb,
  page_url      TEXT,
  session_id    TEXT,
  visitor_id    TEXT,
  channel_id    TEXT REFERENCES channels(id) ON DELETE SET NULL,
  lead_id       TEXT REFERENCES leads(id) ON DELETE SET NULL,
  -- Callbacks: queued (outside business hours) -> placing -> placed | failed; the call that was placed.
  status        TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'queued', 'placing', 'placed', 'failed')),
  call_id       TEXT REFERENCES calls(id) ON DELETE SET NULL,
  due_at        TIMESTAMPTZ,
  -- Email: the alias it was sent to, and whether the copy reached the business.
  alias         TEXT,
  forwarded_at  TIMESTAMPTZ,
  received_at   TIMESTAMPTZ NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX inquiries_account_time_idx ON inquiries (account_id, received_at DESC);
CREATE INDEX inquiries_lead_idx ON inquiries (lead_id);
CREATE UNIQUE INDEX inquiries_external_key_idx ON inquiries (account_id, site_id, kind, external_key) WHERE external_key IS NOT NULL;
CREATE INDEX inquiries_due_idx ON inquiries (due_at) WHERE status = 'queued';

CREATE TABLE inquiry_settings (
  site_id         TEXT PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
  account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  settings        JSONB NOT NULL DEFAULT '{}'::jsonb,
  -- The HMAC key of the server-side endpoint, sealed with the gateway's encryption key.
  signing_secret  TEXT NOT NULL,
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Signatures the server-side endpoint accepted, kept for the replay window: the same signature twice is refused.
CREATE TABLE inquiry_signatures (
  signature  TEXT PRIMARY KEY,
  seen_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX inquiry_signatures_seen_idx ON inquiry_signatures (seen_at);

-- Email tracking: an alias per channel (static) or leased to one web session (pool) at a time.
CREATE TABLE email_aliases (
  address      TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id      TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  channel_id   TEXT REFERENCES channels(id) ON DELETE SET NULL,
  -- 'static': always the channel's; 'session': leased to session_id until lease_until.
  kind         TEXT NOT NULL CHECK (kind IN ('static', 'session')),
  session_id   TEXT,
  leased_at    TIMESTAMPTZ,
  lease_until  TIMESTAMPTZ,
  created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX email_aliases_site_idx ON email_aliases (site_id, kind);

-- Every provider event a callback's call gets is keyed like inbound ones; the direction tells them apart.
ALTER TABLE calls ADD COLUMN direction TEXT NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'callback'));

-- migrate:down

ALTER TABLE calls DROP COLUMN direction;
DROP TABLE email_aliases;
DROP TABLE inquiry_signatures;
DROP TABLE inquiry_settings;
DROP TABLE inquiries;
