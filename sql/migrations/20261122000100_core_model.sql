-- The core model: tenants, identity, sites and their numbers, visitors and their sessions, number lease history,
-- calls with their raw provider events, recordings, the delivery outbox and the audit log.
-- Every customer row carries account_id; every store query filters on it.

-- migrate:up

CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings    JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  email          TEXT NOT NULL,
  name           TEXT NOT NULL DEFAULT '',
  role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'analyst')),
  password_hash  TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  disabled_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_account_idx ON users (account_id);

CREATE TABLE api_keys (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  user_id       TEXT REFERENCES users(id) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'analyst')),
  -- The first characters of the key, shown in lists so people can tell keys apart; never enough to use it.
  display_prefix TEXT NOT NULL,
  key_hash      TEXT NOT NULL UNIQUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_used_at  TIMESTAMPTZ,
  expires_at    TIMESTAMPTZ,
  revoked_at    TIMESTAMPTZ
);
CREATE INDEX api_keys_account_idx ON api_keys (account_id);

CREATE TABLE user_sessions (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash    TEXT NOT NULL UNIQUE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at    TIMESTAMPTZ NOT NULL,
  user_agent    TEXT
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id);
CREATE INDEX user_sessions_expiry_idx ON user_sessions (expires_at);

CREATE TABLE sites (
  id                 TEXT PRIMARY KEY,
  account_id         TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name               TEXT NOT NULL,
  -- The public key the widget sends (data-site="KEY"); not a secret.
  public_key         TEXT NOT NULL UNIQUE CHECK (public_key ~ '^[A-Za-z0-9_-]{3,64}$'),
  -- Hosts allowed to ask for numbers (CORS): "example.com", "*.example.com", "localhost:*".
  domains            JSONB NOT NULL DEFAULT '[]'::jsonb,
  -- The business's own numbers as printed on the site, E.164: what the widget replaces.
  canonical_numbers  JSONB NOT NULL DEFAULT '[]'::jsonb,
  default_forward_to TEXT,
  timezone           TEXT NOT NULL DEFAULT 'UTC',
  -- Recording, announcement, whisper, consent, retention and attribution settings.
  settings           JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sites_account_idx ON sites (account_id);

CREATE TABLE channels (
  id          TEXT PRIMARY KEY,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('paid_search', 'organic_search', 'paid_social', 'social', 'referral', 'direct',
                                             'email', 'display', 'offline', 'custom')),
  -- Match rules (any of them matches): [{ "utm_source": "google", "utm_medium": "cpc" }, { "click_id": "gclid" }, ...]
  rules       JSONB NOT NULL DEFAULT '[]'::jsonb,
  -- Higher first.
  priority    INTEGER NOT NULL DEFAULT 0,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (site_id, name)
);
CREATE INDEX channels_account_idx ON channels (account_id, site_id);

CREATE TABLE pools (
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id           TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  -- null: the pool serves every visit that no channel-specific pool takes.
  channel_id        TEXT REFERENCES channels(id) ON DELETE SET NULL,
  name              TEXT NOT NULL,
  kind              TEXT NOT NULL CHECK (kind IN ('session', 'static')),
  -- Which of the site's canonical numbers this pool's numbers stand in for.
  canonical_number  TEXT NOT NULL CHECK (canonical_number ~ '^\+[1-9][0-9]{6,14}$'),
  fallback_number   TEXT CHECK (fallback_number ~ '^\+[1-9][0-9]{6,14}$'),
  -- Lease policy: active window, hold after the last heartbeat, sticky, reclaim.
  settings          JSONB NOT NULL DEFAULT '{}'::jsonb,
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (site_id, name)
);
CREATE INDEX pools_site_idx ON pools (account_id, site_id);

CREATE TABLE tracking_numbers (
  id                 TEXT PRIMARY KEY,
  account_id         TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id            TEXT REFERENCES sites(id) ON DELETE SET NULL,
  pool_id            TEXT REFERENCES pools(id) ON DELETE SET NULL,
  e164               TEXT NOT NULL CHECK (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  provider           TEXT NOT NULL CHECK (provider IN ('twilio', 'asterisk')),
  -- Twilio IncomingPhoneNumber SID (PN...) or the Asterisk trunk/DID label.
  provider_ref       TEXT,
  forward_to         TEXT CHECK (forward_to ~ '^\+[1-9][0-9]{6,14}$'),
  status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'quarantined', 'released')),
  status_changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  quarantined_until  TIMESTAMPTZ,
  monthly_cost       NUMERIC(12, 4),
  currency           TEXT CHECK (currency ~ '^[A-Z]{3}$'),
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- A number can be owned once at a time; released numbers keep their history rows.
CREATE UNIQUE INDEX tracking_numbers_e164_live_key ON tracking_numbers (e164) WHERE status <> 'released';
CREATE INDEX tracking_numbers_pool_idx ON tracking_numbers (pool_id) WHERE status <> 'released';
CREATE INDEX tracking_numbers_account_idx ON tracking_numbers (account_id);

CREATE TABLE visitors (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id        TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  -- First-touch source: {channelId, source, medium, campaign, term, content, clickIds, referrer, landingUrl, at}
  first_touch    JSONB,
  first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX visitors_site_idx ON visitors (account_id, site_id, last_seen_at DESC);

CREATE TABLE web_sessions (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id        TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  visitor_id     TEXT NOT NULL REFERENCES visitors(id) ON DELETE CASCADE,
  channel_id     TEXT REFERENCES channels(id) ON DELETE SET NULL,
  landing_url    TEXT,
  referrer       TEXT,
  source         TEXT,
  medium         TEXT,
  utm_source     TEXT,
  utm_medium     TEXT,
  utm_campaign   TEXT,
  utm_term       TEXT,
  utm_content    TEXT,
  click_ids      JSONB NOT NULL DEFAULT '{}'::jsonb,
  device         JSONB NOT NULL DEFAULT '{}'::jsonb,
  -- Salted hash, never the address itself.
  ip_hash        TEXT,
  consent        TEXT NOT NULL DEFAULT 'unknown' CHECK (consent IN ('granted', 'denied', 'unknown', 'not_required')),
  is_bot         BOOLEAN NOT NULL DEFAULT false,
  pages          JSONB NOT NULL DEFAULT '[]'::jsonb,
  first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX web_sessions_visitor_idx ON web_sessions (visitor_id, first_seen_at DESC);
CREATE INDEX web_sessions_site_idx ON web_sessions (account_id, site_id, first_seen_at DESC);

-- Who held which number when, as half-open ranges [leased_at, released_at); released_at null = still held.
CREATE TABLE number_leases (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  pool_id             TEXT NOT NULL,
  tracking_number_id  TEXT NOT NULL,
  e164                TEXT NOT NULL,
  session_id          TEXT NOT NULL,
  visitor_id          TEXT,
  leased_at           TIMESTAMPTZ NOT NULL,
  released_at         TIMESTAMPTZ,
  release_reason      TEXT CHECK (release_reason IN ('expired', 'left', 'reclaimed', 'call', 'admin')),
  reclaimed_from      TEXT,
  CHECK (released_at IS NULL OR released_at >= leased_at)
);
-- "Who held +74951234567 at 14:03:12": the latest lease of that number starting at or before t.
CREATE INDEX number_leases_number_time_idx ON number_leases (e164, leased_at DESC);
CREATE INDEX number_leases_session_idx ON number_leases (session_id);
CREATE INDEX number_leases_pool_time_idx ON number_leases (pool_id, leased_at DESC);

CREATE TABLE tel_clicks (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id             TEXT NOT NULL,
  session_id          TEXT NOT NULL,
  e164                TEXT NOT NULL,
  clicked_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX tel_clicks_number_time_idx ON tel_clicks (e164, clicked_at DESC);

CREATE TABLE calls (
  id                  TEXT PRIMARY KEY,
  account_id          TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id             TEXT REFERENCES sites(id) ON DELETE SET NULL,
  provider            TEXT NOT NULL CHECK (provider IN ('twilio', 'asterisk')),
  provider_call_id    TEXT NOT NULL,
  tracking_number_id  TEXT REFERENCES tracking_numbers(id) ON DELETE SET NULL,
  tracking_e164       TEXT NOT NULL,
  caller              TEXT NOT NULL,
  forward_to          TEXT,
  status              TEXT NOT NULL DEFAULT 'ringing' CHECK (status IN ('ringing', 'answered', 'ended')),
  outcome             TEXT CHECK (outcome IN ('completed', 'busy', 'no-answer', 'canceled', 'failed')),
  answered_by         TEXT,
  started_at          TIMESTAMPTZ NOT NULL,
  answered_at         TIMESTAMPTZ,
  ended_at            TIMESTAMPTZ,
  ring_seconds        INTEGER,
  talk_seconds        INTEGER,
  session_id          TEXT,
  visitor_id          TEXT,
  channel_id          TEXT REFERENCES channels(id) ON DELETE SET NULL,
  -- {method, score, candidates: [{sessionId, method, score, reason}], assignedBy}
  attribution         JSONB NOT NULL DEFAULT '{}'::jsonb,
  first_time_caller   BOOLEAN,
  blocked             BOOLEAN NOT NULL DEFAULT false,
  created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_call_id)
);
CREATE INDEX calls_account_time_idx ON calls (account_id, started_at DESC);
CREATE INDEX calls_caller_idx ON calls (account_id, caller, started_at DESC);
CREATE INDEX calls_session_idx ON calls (session_id);

CREATE TABLE call_events (
  id           TEXT PRIMARY KEY,
  account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  call_id      TEXT REFERENCES calls(id) ON DELETE CASCADE,
  provider     TEXT NOT NULL,
  -- Provider-specific idempotency key, e.g. "CA...:status:3" or "RE...:completed".
  event_key    TEXT NOT NULL,
  type         TEXT NOT NULL,
  payload      JSONB NOT NULL,
  occurred_at  TIMESTAMPTZ NOT NULL,
  received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (provider, event_key)
);
CREATE INDEX call_events_call_idx ON call_events (call_id, occurred_at);

CREATE TABLE recordings (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  call_id         TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
  provider        TEXT NOT NULL,
  provider_ref    TEXT,
  source_url      TEXT,
  storage_key     TEXT,
  content_type    TEXT,
  bytes           BIGINT,
  sha256          TEXT,
  duration_s      NUMERIC(10, 3),
  channels        SMALLINT,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fetching', 'stored', 'failed', 'absent', 'deleted')),
  last_error      TEXT,
  created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
  stored_at       TIMESTAMPTZ,
  deleted_at      TIMESTAMPTZ,
  UNIQUE (provider, provider_ref)
);
CREATE INDEX recordings_call_idx ON recordings (call_id);

-- Every delivery to the outside world; written in the transaction that causes it.
CREATE TABLE outbox (
  id               TEXT PRIMARY KEY,
  account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  topic            TEXT NOT NULL,
  sink_id          TEXT,
  aggregate_id     TEXT,
  -- At most one pending/delivered row per (sink, aggregate, event): replays and replicas cannot duplicate.
  dedupe_key       TEXT NOT NULL UNIQUE,
  payload          JSONB NOT NULL,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'dead', 'cancelled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  locked_until     TIMESTAMPTZ,
  last_error       TEXT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  delivered_at     TIMESTAMPTZ
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status IN ('pending', 'delivering');
CREATE INDEX outbox_account_idx ON outbox (account_id, created_at DESC);

CREATE TABLE audit_log (
  id             TEXT PRIMARY KEY,
  account_id     TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  actor_user_id  TEXT,
  actor_key_id   TEXT,
  action         TEXT NOT NULL,
  target_type    TEXT,
  target_id      TEXT,
  ip             TEXT,
  details        JSONB NOT NULL DEFAULT '{}'::jsonb,
  at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_account_time_idx ON audit_log (account_id, at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);

-- migrate:down

DROP TABLE IF EXISTS audit_log;
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS recordings;
DROP TABLE IF EXISTS call_events;
DROP TABLE IF EXISTS calls;
DROP TABLE IF EXISTS tel_clicks;
DROP TABLE IF EXISTS number_leases;
DROP TABLE IF EXISTS web_sessions;
DROP TABLE IF EXISTS visitors;
DROP TABLE IF EXISTS tracking_numbers;
DROP TABLE IF EXISTS pools;
DROP TABLE IF EXISTS channels;
DROP TABLE IF EXISTS sites;
DROP TABLE IF EXISTS user_sessions;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS users;
DROP TABLE IF EXISTS accounts;
