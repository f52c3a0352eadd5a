-- Report facts: one narrow row per event (inbound call, other inquiry, web session) and attribution model, holding
-- the attributed channel and UTM values the report groups by, so a report is one range scan of these tables instead
-- of random reads into calls, web_sessions and leads. Kept current by triggers on the tables they are derived from
-- (whatever statement writes those rows, single or multi-row), and rebuilt for existing data at the end.
-- Event times are stored in UTC: the report derives the local day and hour with the site's current time zone, so
-- a time zone change needs no rewrite. Thresholds (target talk time) are applied at read time for the same reason.
-- Model codes: 0 last_non_direct, 1 last_click, 2 first_click.

-- migrate:up

-- Partitioned by model, so the rows a report reads (one model) lie together; text columns the report sorts and
-- compares (group keys, distinct callers) use the "C" collation: byte order, no locale work, same equality.
CREATE TABLE report_call_facts (
  event_id      TEXT NOT NULL,
  model         SMALLINT NOT NULL,
  -- 'call' for an inbound call; 'form', 'callback', 'email' for the other inquiries.
  kind          TEXT NOT NULL,
  account_id    TEXT NOT NULL,
  site_id       TEXT NOT NULL,
  event_at      TIMESTAMPTZ NOT NULL,
  caller        TEXT COLLATE "C",
  answered      BOOLEAN NOT NULL,
  talk_seconds  INTEGER,
  outcome       TEXT,
  tn            TEXT COLLATE "C",
  ft            BOOLEAN,
  lead_id       TEXT,
  opens_lead    BOOLEAN NOT NULL,
  lead_status   TEXT,
  lead_amount   NUMERIC(14, 2),
  ch            TEXT COLLATE "C",
  src           TEXT COLLATE "C",
  med           TEXT COLLATE "C",
  camp          TEXT COLLATE "C",
  term          TEXT COLLATE "C",
  -- Landing URL without query string and fragment; device class from the user agent.
  landing       TEXT COLLATE "C",
  device        TEXT COLLATE "C",
  PRIMARY KEY (event_id, model, kind)
) PARTITION BY LIST (model);
CREATE TABLE report_call_facts_m0 PARTITION OF report_call_facts FOR VALUES IN (0);
CREATE TABLE report_call_facts_m1 PARTITION OF report_call_facts FOR VALUES IN (1);
CREATE TABLE report_call_facts_m2 PARTITION OF report_call_facts FOR VALUES IN (2);
CREATE INDEX report_call_facts_scan_idx ON report_call_facts (site_id, model, event_at);
CREATE INDEX report_call_facts_lead_idx ON report_call_facts (lead_id);

CREATE TABLE report_visit_facts (
  event_id      TEXT NOT NULL,
  model         SMALLINT NOT NULL,
  account_id    TEXT NOT NULL,
  site_id       TEXT NOT NULL,
  event_at      TIMESTAMPTZ NOT NULL,
  ch            TEXT COLLATE "C",
  src           TEXT COLLATE "C",
  med           TEXT COLLATE "C",
  camp          TEXT COLLATE "C",
  term          TEXT COLLATE "C",
  landing       TEXT COLLATE "C",
  device        TEXT COLLATE "C",
  PRIMARY KEY (event_id, model)
) PARTITION BY LIST (model);
CREATE TABLE report_visit_facts_m0 PARTITION OF report_visit_facts FOR VALUES IN (0);
CREATE TABLE report_visit_facts_m1 PARTITION OF report_visit_facts FOR VALUES IN (1);
CREATE TABLE report_visit_facts_m2 PARTITION OF report_visit_facts FOR VALUES IN (2);
CREATE INDEX report_visit_facts_scan_idx ON report_visit_facts (site_id, model, event_at);

-- A session change touches the events of its visitor from that session on.
CREATE INDEX IF NOT EXISTS calls_visitor_idx ON calls (visitor_id, started_at);
CREATE INDEX IF NOT EXISTS inquiries_visitor_idx ON inquiries (visitor_id, received_at);
CREATE INDEX IF NOT EXISTS inquiries_session_idx ON inquiries (session_id);

CREATE FUNCTION report_device_class(ua TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN ua IS NULL THEN NULL
    WHEN ua ~* '(ipad|tablet|kindle|silk|playbook)' OR (ua ~* 'android' AND ua !~* 'mobile') THEN 'tablet'
    WHEN ua ~* '(mobi|iphone|ipod|android|blackberry|opera mini|iemobile|windows phone)' THEN 'mobile'
    ELSE 'desktop' END
$fn$;

CREATE FUNCTION report_landing_page(url TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
  SELECT nullif(split_part(split_part(url, chr(63), 1), '#', 1), '')
$fn$;

-- The attributed session of an event under each model (the same rules as the report's live SQL):
-- last_non_direct: the own session, or when it is direct the visitor's latest non-direct visit of the 90 days before;
-- last_click: the own session; first_click: the visitor's first visit before the event. `other` = the model picked a
-- session other than the event's own, whose channel then replaces the event's own channel.
CREATE VIEW report_call_facts_source AS
SELECT c.id AS event_id, m.model, 'call'::text AS kind, c.account_id, c.site_id, c.started_at AS event_at, c.caller,
  c.answered_at IS NOT NULL AS answered, c.talk_seconds, c.outcome, c.tracking_e164 AS tn, c.first_time_caller AS ft,
  c.lead_id, coalesce(l.first_inquiry_id = c.id, false) AS opens_lead, l.status AS lead_status, l.amount AS lead_amount,
  CASE WHEN x.other THEN a.channel_id ELSE c.channel_id END AS ch,
  CASE WHEN x.other THEN a.source ELSE s0.source END AS src,
  CASE WHEN x.other THEN a.medium ELSE s0.medium END AS med,
  CASE WHEN x.other THEN a.utm_campaign ELSE s0.utm_campaign END AS camp,
  CASE WHEN x.other THEN a.utm_term ELSE s0.utm_term END AS term,
  report_landing_page(CASE WHEN x.other THEN a.landing_url ELSE s0.landing_url END) AS landing,
  report_device_class((CASE WHEN x.other THEN a.device ELSE s0.device END)->>'ua') AS device
FROM calls c
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS m (model)
LEFT JOIN web_sessions s0 ON s0.id = c.session_id
LEFT JOIN LATERAL (
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 0 AND s0.source = '(direct)' AND w.visitor_id = s0.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
     AND w.first_seen_at <= s0.first_seen_at AND w.first_seen_at > s0.first_seen_at - interval '90 days'
   ORDER BY w.first_seen_at DESC LIMIT 1)
  UNION ALL
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 2 AND coalesce(c.visitor_id, s0.visitor_id) IS NOT NULL AND w.visitor_id = coalesce(c.visitor_id, s0.visitor_id)
     AND NOT w.is_bot AND w.first_seen_at <= c.started_at
   ORDER BY w.first_seen_at ASC LIMIT 1)
) a ON true
CROSS JOIN LATERAL (SELECT a.id IS NOT NULL AND a.id IS DISTINCT FROM c.session_id AS other) x
LEFT JOIN leads l ON l.id = c.lead_id
WHERE c.site_id IS NOT NULL AND NOT c.blocked AND c.direction = 'inbound';

CREATE VIEW report_inquiry_facts_source AS
SELECT i.id AS event_id, m.model, i.kind, i.account_id, i.site_id, i.received_at AS event_at,
  coalesce(i.phone, i.email) AS caller, false AS answered, NULL::int AS talk_seconds, NULL::text AS outcome,
  NULL::text AS tn, NULL::boolean AS ft,
  i.lead_id, coalesce(l.first_inquiry_id = i.id, false) AS opens_lead, l.status AS lead_status, l.amount AS lead_amount,
  CASE WHEN x.other THEN a.channel_id ELSE coalesce(i.channel_id, s0.channel_id) END AS ch,
  CASE WHEN x.other THEN a.source ELSE s0.source END AS src,
  CASE WHEN x.other THEN a.medium ELSE s0.medium END AS med,
  CASE WHEN x.other THEN a.utm_campaign ELSE s0.utm_campaign END AS camp,
  CASE WHEN x.other THEN a.utm_term ELSE s0.utm_term END AS term,
  report_landing_page(CASE WHEN x.other THEN a.landing_url ELSE s0.landing_url END) AS landing,
  report_device_class((CASE WHEN x.other THEN a.device ELSE s0.device END)->>'ua') AS device
FROM inquiries i
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS m (model)
LEFT JOIN web_sessions s0 ON s0.id = i.session_id
LEFT JOIN LATERAL (
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 0 AND s0.source = '(direct)' AND w.visitor_id = s0.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
     AND w.first_seen_at <= s0.first_seen_at AND w.first_seen_at > s0.first_seen_at - interval '90 days'
   ORDER BY w.first_seen_at DESC LIMIT 1)
  UNION ALL
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 2 AND coalesce(i.visitor_id, s0.visitor_id) IS NOT NULL AND w.visitor_id = coalesce(i.visitor_id, s0.visitor_id)
     AND NOT w.is_bot AND w.first_seen_at <= i.received_at
   ORDER BY w.first_seen_at ASC LIMIT 1)
) a ON true
CROSS JOIN LATERAL (SELECT a.id IS NOT NULL AND a.id IS DISTINCT FROM i.session_id AS other) x
LEFT JOIN leads l ON l.id = i.lead_id
WHERE i.site_id IS NOT NULL;

CREATE VIEW report_visit_facts_source AS
SELECT s0.id AS event_id, m.model, s0.account_id, s0.site_id, s0.first_seen_at AS event_at,
  CASE WHEN x.other THEN a.channel_id ELSE s0.channel_id END AS ch,
  CASE WHEN x.other THEN a.source ELSE s0.source END AS src,
  CASE WHEN x.other THEN a.medium ELSE s0.medium END AS med,
  CASE WHEN x.other THEN a.utm_campaign ELSE s0.utm_campaign END AS camp,
  CASE WHEN x.other THEN a.utm_term ELSE s0.utm_term END AS term,
  report_landing_page(CASE WHEN x.other THEN a.landing_url ELSE s0.landing_url END) AS landing,
  report_device_class((CASE WHEN x.other THEN a.device ELSE s0.device END)->>'ua') AS device
FROM web_sessions s0
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS m (model)
LEFT JOIN LATERAL (
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 0 AND s0.source = '(direct)' AND w.visitor_id = s0.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
     AND w.first_seen_at <= s0.first_seen_at AND w.first_seen_at > s0.first_seen_at - interval '90 days'
   ORDER BY w.first_seen_at DESC LIMIT 1)
  UNION ALL
  (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device FROM web_sessions w
   WHERE m.model = 2 AND w.visitor_id = s0.visitor_id AND NOT w.is_bot AND w.first_seen_at <= s0.first_seen_at
   ORDER BY w.first_seen_at ASC LIMIT 1)
) a ON true
CROSS JOIN LATERAL (SELECT a.id IS NOT NULL AND a.id IS DISTINCT FROM s0.id AS other) x
WHERE NOT s0.is_bot;

-- Bulk loaders (the analytics seed) may set calltrack.report_facts = 'off' for their transaction and rebuild the
-- site's facts afterwards with report_facts_rebuild_site.
CREATE FUNCTION report_facts_enabled() RETURNS BOOLEAN LANGUAGE sql STABLE AS $fn$
  SELECT coalesce(current_setting('calltrack.report_facts', true), '') <> 'off'
$fn$;

CREATE FUNCTION report_facts_refresh_calls(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind = 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_call_facts_source WHERE event_id = ANY (ids);
END
$fn$;

CREATE FUNCTION report_facts_refresh_inquiries(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind <> 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_inquiry_facts_source WHERE event_id = ANY (ids);
END
$fn$;

-- Sessions `ids` changed (or appeared, or went) for `visitors`, each from `since` on: their own visit facts, and
-- every visit, call and inquiry of those visitors from then on (a new visit can be a later direct visit's last
-- non-direct one, or a visitor's first), plus calls and inquiries made from those sessions.
CREATE FUNCTION report_facts_touch_sessions(ids TEXT[], visitors TEXT[], since TIMESTAMPTZ[]) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  sess TEXT[];
  call_ids TEXT[];
  inq_ids TEXT[];
BEGIN
  SELECT array_agg(DISTINCT s) INTO sess FROM (
    SELECT unnest(ids) AS s
    UNION ALL
    SELECT w.id FROM unnest(visitors, since) AS v (vid, t) JOIN web_sessions w ON w.visitor_id = v.vid AND w.first_seen_at >= v.t
  ) q;
  DELETE FROM report_visit_facts WHERE event_id = ANY (sess);
  INSERT INTO report_visit_facts (event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device
    FROM report_visit_facts_source WHERE event_id = ANY (sess);
  SELECT array_agg(DISTINCT id) INTO call_ids FROM (
    SELECT c.id FROM calls c WHERE c.session_id = ANY (sess)
    UNION ALL
    SELECT c.id FROM unnest(visitors, since) AS v (vid, t) JOIN calls c ON c.visitor_id = v.vid AND c.started_at >= v.t
  ) q;
  IF call_ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(call_ids); END IF;
  SELECT array_agg(DISTINCT id) INTO inq_ids FROM (
    SELECT i.id FROM inquiries i WHERE i.session_id = ANY (sess)
    UNION ALL
    SELECT i.id FROM unnest(visitors, since) AS v (vid, t) JOIN inquiries i ON i.visitor_id = v.vid AND i.received_at >= v.t
  ) q;
  IF inq_ids IS NOT NULL THEN PERFORM report_facts_refresh_inquiries(inq_ids); END IF;
END
$fn$;

-- Calls: inserted, changed or deleted rows, one statement at a time (a multi-row write refreshes once).
CREATE FUNCTION report_facts_calls_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  SELECT array_agg(id) INTO ids FROM new_rows;
  IF ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(ids); END IF;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION report_facts_calls_del() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  DELETE FROM report_call_facts WHERE event_id = ANY (ARRAY(SELECT id FROM old_rows)) AND kind = 'call';
  RETURN NULL;
END
$fn$;
CREATE TRIGGER report_facts_calls_ins AFTER INSERT ON calls REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_calls_ins();
CREATE TRIGGER report_facts_calls_upd AFTER UPDATE ON calls REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_calls_ins();
CREATE TRIGGER report_facts_calls_del AFTER DELETE ON calls REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_calls_del();

CREATE FUNCTION report_facts_inquiries_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  SELECT array_agg(id) INTO ids FROM new_rows;
  IF ids IS NOT NULL THEN PERFORM report_facts_refresh_inquiries(ids); END IF;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION report_facts_inquiries_del() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  DELETE FROM report_call_facts WHERE event_id = ANY (ARRAY(SELECT id FROM old_rows)) AND kind <> 'call';
  RETURN NULL;
END
$fn$;
CREATE TRIGGER report_facts_inquiries_ins AFTER INSERT ON inquiries REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_inquiries_ins();
CREATE TRIGGER report_facts_inquiries_upd AFTER UPDATE ON inquiries REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_inquiries_ins();
CREATE TRIGGER report_facts_inquiries_del AFTER DELETE ON inquiries REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_inquiries_del();

-- Web sessions: new rows per statement; heartbeats and page lists update sessions all the time, so updates are
-- row triggers that fire only when a column the report reads has changed.
CREATE FUNCTION report_facts_sessions_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[]; vids TEXT[]; ts TIMESTAMPTZ[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT array_agg(id), array_agg(visitor_id), array_agg(first_seen_at) INTO ids, vids, ts FROM old_rows;
  ELSE
    SELECT array_agg(id), array_agg(visitor_id), array_agg(first_seen_at) INTO ids, vids, ts FROM new_rows;
  END IF;
  IF ids IS NOT NULL THEN PERFORM report_facts_touch_sessions(ids, vids, ts); END IF;
  RETURN NULL;
END
$fn$;
CREATE FUNCTION report_facts_sessions_upd() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  PERFORM report_facts_touch_sessions(ARRAY[NEW.id], ARRAY[OLD.visitor_id, NEW.visitor_id],
    ARRAY[least(OLD.first_seen_at, NEW.first_seen_at), least(OLD.first_seen_at, NEW.first_seen_at)]);
  RETURN NULL;
END
$fn$;
CREATE TRIGGER report_facts_sessions_ins AFTER INSERT ON web_sessions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_sessions_ins();
CREATE TRIGGER report_facts_sessions_del AFTER DELETE ON web_sessions REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_sessions_ins();
CREATE TRIGGER report_facts_sessions_upd AFTER UPDATE ON web_sessions FOR EACH ROW
  WHEN (OLD.channel_id IS DISTINCT FROM NEW.channel_id OR OLD.source IS DISTINCT FROM NEW.source
    OR OLD.medium IS DISTINCT FROM NEW.medium OR OLD.utm_campaign IS DISTINCT FROM NEW.utm_campaign
    OR OLD.utm_term IS DISTINCT FROM NEW.utm_term OR OLD.landing_url IS DISTINCT FROM NEW.landing_url
    OR OLD.device IS DISTINCT FROM NEW.device OR OLD.is_bot IS DISTINCT FROM NEW.is_bot
    OR OLD.visitor_id IS DISTINCT FROM NEW.visitor_id OR OLD.first_seen_at IS DISTINCT FROM NEW.first_seen_at
    OR OLD.site_id IS DISTINCT FROM NEW.site_id OR OLD.account_id IS DISTINCT FROM NEW.account_id)
  EXECUTE FUNCTION report_facts_sessions_upd();

-- Leads: a CRM outcome (won, lost, reopened, amount) lands on the facts of the lead's calls and inquiries.
CREATE FUNCTION report_facts_leads_upd() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  UPDATE report_call_facts SET opens_lead = (event_id = NEW.first_inquiry_id), lead_status = NEW.status, lead_amount = NEW.amount
    WHERE lead_id = NEW.id;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER report_facts_leads_upd AFTER UPDATE ON leads FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.amount IS DISTINCT FROM NEW.amount
    OR OLD.first_inquiry_id IS DISTINCT FROM NEW.first_inquiry_id)
  EXECUTE FUNCTION report_facts_leads_upd();

-- The whole of one site's facts from its rows: the backfill below, and bulk loaders after loading with facts off.
CREATE FUNCTION report_facts_rebuild_site(p_site TEXT) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE site_id = p_site;
  DELETE FROM report_visit_facts WHERE site_id = p_site;
  INSERT INTO report_visit_facts (event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device
    FROM report_visit_facts_source WHERE site_id = p_site;
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_call_facts_source WHERE site_id = p_site
    UNION ALL
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_inquiry_facts_source WHERE site_id = p_site;
END
$fn$;

SELECT report_facts_rebuild_site(id) FROM sites;

-- migrate:down

DROP TRIGGER IF EXISTS report_facts_leads_upd ON leads;
DROP TRIGGER IF EXISTS report_facts_sessions_upd ON web_sessions;
DROP TRIGGER IF EXISTS report_facts_sessions_del ON web_sessions;
DROP TRIGGER IF EXISTS report_facts_sessions_ins ON web_sessions;
DROP TRIGGER IF EXISTS report_facts_inquiries_del ON inquiries;
DROP TRIGGER IF EXISTS report_facts_inquiries_upd ON inquiries;
DROP TRIGGER IF EXISTS report_facts_inquiries_ins ON inquiries;
DROP TRIGGER IF EXISTS report_facts_calls_del ON calls;
DROP TRIGGER IF EXISTS report_facts_calls_upd ON calls;
DROP TRIGGER IF EXISTS report_facts_calls_ins ON calls;
DROP FUNCTION IF EXISTS report_facts_rebuild_site(TEXT);
DROP FUNCTION IF EXISTS report_facts_leads_upd();
DROP FUNCTION IF EXISTS report_facts_sessions_upd();
DROP FUNCTION IF EXISTS report_facts_sessions_ins();
DROP FUNCTION IF EXISTS report_facts_inquiries_del();
DROP FUNCTION IF EXISTS report_facts_inquiries_ins();
DROP FUNCTION IF EXISTS report_facts_calls_del();
DROP FUNCTION IF EXISTS report_facts_calls_ins();
DROP FUNCTION IF EXISTS report_facts_touch_sessions(TEXT[], TEXT[], TIMESTAMPTZ[]);
DROP FUNCTION IF EXISTS report_facts_refresh_inquiries(TEXT[]);
DROP FUNCTION IF EXISTS report_facts_refresh_calls(TEXT[]);
DROP FUNCTION IF EXISTS report_facts_enabled();
DROP VIEW IF EXISTS report_visit_facts_source;
DROP VIEW IF EXISTS report_inquiry_facts_source;
DROP VIEW IF EXISTS report_call_facts_source;
DROP FUNCTION IF EXISTS report_landing_page(TEXT);
DROP FUNCTION IF EXISTS report_device_class(TEXT);
DROP INDEX IF EXISTS inquiries_session_idx;
DROP INDEX IF EXISTS inquiries_visitor_idx;
DROP INDEX IF EXISTS calls_visitor_idx;
DROP TABLE IF EXISTS report_visit_facts;
DROP TABLE IF EXISTS report_call_facts;
