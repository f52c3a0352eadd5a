-- Ad spend imported from the ad platforms' cost files, one row per site, day and UTM key set (the idempotency key of
-- an import), with the channel the visit classifier gives those UTM values; and the indexes the reports read by.

-- migrate:up

CREATE TABLE IF NOT EXISTS ad_spend (
  id            TEXT PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  site_id       TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
  -- The calendar day in the site's time zone.
  spend_date    DATE NOT NULL,
  -- UTM values as uploaded (case-sensitive, '' = none): the key a re-upload replaces.
  utm_source    TEXT NOT NULL DEFAULT '',
  utm_medium    TEXT NOT NULL DEFAULT '',
  utm_campaign  TEXT NOT NULL DEFAULT '',
  utm_term      TEXT NOT NULL DEFAULT '',
  utm_content   TEXT NOT NULL DEFAULT '',
  -- What the visit classifier makes of them, so spend and visits group alike.
  source        TEXT NOT NULL,
  medium        TEXT NOT NULL,
  channel_id    TEXT REFERENCES channels(id) ON DELETE SET NULL,
  amount        NUMERIC(14, 2) NOT NULL CHECK (amount >= 0),
  currency      TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  clicks        INTEGER NOT NULL DEFAULT 0 CHECK (clicks >= 0),
  import_format TEXT NOT NULL,
  imported_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (site_id, spend_date, utm_source, utm_medium, utm_campaign, utm_term, utm_content)
);
CREATE INDEX IF NOT EXISTS ad_spend_account_idx ON ad_spend (account_id, site_id, spend_date);

-- Reports scan one site's calls and visits over a period.
CREATE INDEX IF NOT EXISTS calls_site_time_idx ON calls (site_id, started_at);
CREATE INDEX IF NOT EXISTS web_sessions_site_time_idx ON web_sessions (site_id, first_seen_at);

-- migrate:down

DROP INDEX IF EXISTS web_sessions_site_time_idx;
DROP INDEX IF EXISTS calls_site_time_idx;
DROP TABLE IF EXISTS ad_spend;
