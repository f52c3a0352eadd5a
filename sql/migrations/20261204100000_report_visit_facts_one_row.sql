-- Visit facts, one row per session instead of three: the visit write-behind inserts a session for every new visitor,
-- and its three fact rows (one per attribution model, in a table partitioned by model with a primary key and a scan
-- index on each partition: three heap rows and six index entries) were the largest part of PostgreSQL's work per new
-- visit. Two of the three models give most sessions their own values (last_click always; last_non_direct unless the
-- session is direct and the visitor came earlier from elsewhere; first_click unless the visitor came before), so a
-- row holds the session's own values once and, only for a model that picks another session, that session's values
-- (o0/o2 say so; the other session's value may itself be NULL). One heap row, two index entries.
-- `report_visit_facts` becomes a view that gives the same rows as the table did (event_id, model, ...), so the
-- report's SQL and its plans by (site_id, model, event_at) keep their shape: the model filter picks one row of the
-- VALUES list, the range is a scan of (site_id, event_at).

-- migrate:up

CREATE TABLE report_session_facts (
  event_id      TEXT PRIMARY KEY,
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
  -- last_non_direct (model 0) picked another session: its values.
  o0            BOOLEAN NOT NULL,
  ch0           TEXT COLLATE "C",
  src0          TEXT COLLATE "C",
  med0          TEXT COLLATE "C",
  camp0         TEXT COLLATE "C",
  term0         TEXT COLLATE "C",
  landing0      TEXT COLLATE "C",
  device0       TEXT COLLATE "C",
  -- first_click (model 2) picked another session: its values.
  o2            BOOLEAN NOT NULL,
  ch2           TEXT COLLATE "C",
  src2          TEXT COLLATE "C",
  med2          TEXT COLLATE "C",
  camp2         TEXT COLLATE "C",
  term2         TEXT COLLATE "C",
  landing2      TEXT COLLATE "C",
  device2       TEXT COLLATE "C"
);
CREATE INDEX report_session_facts_scan_idx ON report_session_facts (site_id, event_at);

-- One row per non-bot session, by the rules of report_visit_facts_source: last_non_direct picks, for a direct
-- session, the visitor's latest non-direct visit of the 90 days before; first_click the visitor's first visit
-- (another session only when that is not this one).
CREATE VIEW report_session_facts_source AS
SELECT s.id AS event_id, s.account_id, s.site_id, s.first_seen_at AS event_at,
  s.channel_id AS ch, s.source AS src, s.medium AS med, s.utm_campaign AS camp, s.utm_term AS term,
  report_landing_page(s.landing_url) AS landing, report_device_class(s.device->>'ua') AS device,
  a0.id IS NOT NULL AS o0, a0.channel_id AS ch0, a0.source AS src0, a0.medium AS med0, a0.utm_campaign AS camp0,
  a0.utm_term AS term0, report_landing_page(a0.landing_url) AS landing0, report_device_class(a0.device->>'ua') AS device0,
  a2.id IS NOT NULL AS o2, a2.channel_id AS ch2, a2.source AS src2, a2.medium AS med2, a2.utm_campaign AS camp2,
  a2.utm_term AS term2, report_landing_page(a2.landing_url) AS landing2, report_device_class(a2.device->>'ua') AS device2
FROM web_sessions s
LEFT JOIN LATERAL (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device
  FROM web_sessions w
  WHERE s.source = '(direct)' AND w.visitor_id = s.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
    AND w.first_seen_at <= s.first_seen_at AND w.first_seen_at > s.first_seen_at - interval '90 days'
  ORDER BY w.first_seen_at DESC LIMIT 1) a0 ON true
LEFT JOIN LATERAL (SELECT f.* FROM (SELECT w.id, w.channel_id, w.source, w.medium, w.utm_campaign, w.utm_term, w.landing_url, w.device
  FROM web_sessions w WHERE w.visitor_id = s.visitor_id AND NOT w.is_bot AND w.first_seen_at <= s.first_seen_at
  ORDER BY w.first_seen_at ASC LIMIT 1) f WHERE f.id <> s.id) a2 ON true
WHERE NOT s.is_bot;

INSERT INTO report_session_facts (event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2)
  SELECT event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2
  FROM report_session_facts_source;

DROP TABLE report_visit_facts;
CREATE VIEW report_visit_facts AS
SELECT f.event_id, m.model, f.account_id, f.site_id, f.event_at,
  CASE WHEN m.model = 0 AND f.o0 THEN f.ch0 WHEN m.model = 2 AND f.o2 THEN f.ch2 ELSE f.ch END AS ch,
  CASE WHEN m.model = 0 AND f.o0 THEN f.src0 WHEN m.model = 2 AND f.o2 THEN f.src2 ELSE f.src END AS src,
  CASE WHEN m.model = 0 AND f.o0 THEN f.med0 WHEN m.model = 2 AND f.o2 THEN f.med2 ELSE f.med END AS med,
  CASE WHEN m.model = 0 AND f.o0 THEN f.camp0 WHEN m.model = 2 AND f.o2 THEN f.camp2 ELSE f.camp END AS camp,
  CASE WHEN m.model = 0 AND f.o0 THEN f.term0 WHEN m.model = 2 AND f.o2 THEN f.term2 ELSE f.term END AS term,
  CASE WHEN m.model = 0 AND f.o0 THEN f.landing0 WHEN m.model = 2 AND f.o2 THEN f.landing2 ELSE f.landing END AS landing,
  CASE WHEN m.model = 0 AND f.o0 THEN f.device0 WHEN m.model = 2 AND f.o2 THEN f.device2 ELSE f.device END AS device
FROM report_session_facts f
CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS m (model);

CREATE OR REPLACE FUNCTION report_facts_touch_sessions(ids TEXT[], visitors TEXT[], since TIMESTAMPTZ[]) RETURNS void LANGUAGE plpgsql AS $fn$
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
  DELETE FROM report_session_facts WHERE event_id = ANY (sess);
  INSERT INTO report_session_facts (event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2)
    SELECT event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2
    FROM report_session_facts_source WHERE event_id = ANY (sess)
  ON CONFLICT (event_id) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device, o0 = EXCLUDED.o0, ch0 = EXCLUDED.ch0, src0 = EXCLUDED.src0, med0 = EXCLUDED.med0, camp0 = EXCLUDED.camp0, term0 = EXCLUDED.term0, landing0 = EXCLUDED.landing0, device0 = EXCLUDED.device0, o2 = EXCLUDED.o2, ch2 = EXCLUDED.ch2, src2 = EXCLUDED.src2, med2 = EXCLUDED.med2, camp2 = EXCLUDED.camp2, term2 = EXCLUDED.term2, landing2 = EXCLUDED.landing2, device2 = EXCLUDED.device2;
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

CREATE OR REPLACE FUNCTION report_facts_sessions_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[]; vids TEXT[]; ts TIMESTAMPTZ[]; later TEXT[]; call_ids TEXT[]; inq_ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT array_agg(id), array_agg(visitor_id), array_agg(first_seen_at) INTO ids, vids, ts FROM old_rows;
    IF ids IS NOT NULL THEN PERFORM report_facts_touch_sessions(ids, vids, ts); END IF;
    RETURN NULL;
  END IF;
  SELECT array_agg(id) INTO ids FROM new_rows;
  IF ids IS NULL THEN RETURN NULL; END IF;
  -- Each new non-bot session once, from the transition table: its own derived values and the sessions models 0 and 2
  -- pick (the rules of report_session_facts_source), whose values are read only when a model picked one.
  INSERT INTO report_session_facts (event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2)
  WITH n AS MATERIALIZED (
    SELECT r.id, r.account_id, r.site_id, r.first_seen_at, r.channel_id, r.source, r.medium, r.utm_campaign, r.utm_term,
      report_landing_page(r.landing_url) AS landing, report_device_class(r.device->>'ua') AS device,
      CASE WHEN r.source = '(direct)' THEN (SELECT w.id FROM web_sessions w
        WHERE w.visitor_id = r.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
          AND w.first_seen_at <= r.first_seen_at AND w.first_seen_at > r.first_seen_at - interval '90 days'
        ORDER BY w.first_seen_at DESC LIMIT 1) END AS a0,
      (SELECT w.id FROM web_sessions w WHERE w.visitor_id = r.visitor_id AND NOT w.is_bot AND w.first_seen_at <= r.first_seen_at
        ORDER BY w.first_seen_at ASC LIMIT 1) AS a2
    FROM new_rows r WHERE NOT r.is_bot
  )
  SELECT n.id, n.account_id, n.site_id, n.first_seen_at, n.channel_id, n.source, n.medium, n.utm_campaign, n.utm_term, n.landing, n.device,
    a0.id IS NOT NULL, a0.channel_id, a0.source, a0.medium, a0.utm_campaign, a0.utm_term,
    report_landing_page(a0.landing_url), report_device_class(a0.device->>'ua'),
    a2.id IS NOT NULL, a2.channel_id, a2.source, a2.medium, a2.utm_campaign, a2.utm_term,
    report_landing_page(a2.landing_url), report_device_class(a2.device->>'ua')
  FROM n
  -- Lookups by key, only when a model picked another session. OFFSET 0 keeps them per-row index lookups: the planner
  -- estimates a transition table at a fixed size and would rather hash-join the whole table.
  LEFT JOIN LATERAL (SELECT w.* FROM web_sessions w WHERE w.id = n.a0 OFFSET 0) a0 ON true
  LEFT JOIN LATERAL (SELECT w.* FROM web_sessions w WHERE w.id = n.a2 AND w.id <> n.id OFFSET 0) a2 ON true
  ON CONFLICT (event_id) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device, o0 = EXCLUDED.o0, ch0 = EXCLUDED.ch0, src0 = EXCLUDED.src0, med0 = EXCLUDED.med0, camp0 = EXCLUDED.camp0, term0 = EXCLUDED.term0, landing0 = EXCLUDED.landing0, device0 = EXCLUDED.device0, o2 = EXCLUDED.o2, ch2 = EXCLUDED.ch2, src2 = EXCLUDED.src2, med2 = EXCLUDED.med2, camp2 = EXCLUDED.camp2, term2 = EXCLUDED.term2, landing2 = EXCLUDED.landing2, device2 = EXCLUDED.device2;
  -- Other sessions of these visitors that began later (a visit written late): a new visit can be their last
  -- non-direct or first one. Another new session of the same visitor in the batch is refreshed again here; rare.
  SELECT array_agg(DISTINCT w.id), array_agg(w.visitor_id), array_agg(w.first_seen_at) INTO later, vids, ts
    FROM new_rows n CROSS JOIN LATERAL (SELECT w.id, w.visitor_id, w.first_seen_at FROM web_sessions w
      WHERE w.visitor_id = n.visitor_id AND w.first_seen_at >= n.first_seen_at AND w.id <> n.id OFFSET 0) w;
  IF later IS NOT NULL THEN PERFORM report_facts_touch_sessions(later, vids, ts); END IF;
  -- Calls and inquiries made from the new sessions (a call can be written before the visit it came from) and the
  -- visitors' events since.
  SELECT array_agg(DISTINCT id) INTO call_ids FROM (
    SELECT c.id FROM calls c WHERE c.session_id = ANY (ids)
    UNION ALL
    SELECT c.id FROM new_rows n CROSS JOIN LATERAL (SELECT c.id FROM calls c
      WHERE c.visitor_id = n.visitor_id AND c.started_at >= n.first_seen_at OFFSET 0) c
  ) q;
  IF call_ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(call_ids); END IF;
  SELECT array_agg(DISTINCT id) INTO inq_ids FROM (
    SELECT i.id FROM inquiries i WHERE i.session_id = ANY (ids)
    UNION ALL
    SELECT i.id FROM new_rows n CROSS JOIN LATERAL (SELECT i.id FROM inquiries i
      WHERE i.visitor_id = n.visitor_id AND i.received_at >= n.first_seen_at OFFSET 0) i
  ) q;
  IF inq_ids IS NOT NULL THEN PERFORM report_facts_refresh_inquiries(inq_ids); END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION report_facts_rebuild_site(p_site TEXT) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE site_id = p_site;
  DELETE FROM report_session_facts WHERE site_id = p_site;
  INSERT INTO report_session_facts (event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2)
    SELECT event_id, account_id, site_id, event_at, ch, src, med, camp, term, landing, device, o0, ch0, src0, med0, camp0, term0, landing0, device0, o2, ch2, src2, med2, camp2, term2, landing2, device2
    FROM report_session_facts_source WHERE site_id = p_site;
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

-- migrate:down

DROP VIEW IF EXISTS report_visit_facts;
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
INSERT INTO report_visit_facts (event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device)
  SELECT event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device FROM report_visit_facts_source;

CREATE OR REPLACE FUNCTION report_facts_touch_sessions(ids TEXT[], visitors TEXT[], since TIMESTAMPTZ[]) RETURNS void LANGUAGE plpgsql AS $fn$
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
    FROM report_visit_facts_source WHERE event_id = ANY (sess)
  ON CONFLICT (event_id, model) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device;
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

CREATE OR REPLACE FUNCTION report_facts_sessions_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[]; vids TEXT[]; ts TIMESTAMPTZ[]; later TEXT[]; call_ids TEXT[]; inq_ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN
    SELECT array_agg(id), array_agg(visitor_id), array_agg(first_seen_at) INTO ids, vids, ts FROM old_rows;
    IF ids IS NOT NULL THEN PERFORM report_facts_touch_sessions(ids, vids, ts); END IF;
    RETURN NULL;
  END IF;
  SELECT array_agg(id) INTO ids FROM new_rows;
  IF ids IS NULL THEN RETURN NULL; END IF;
  -- Each new non-bot session once: its own derived values and the sessions models 0 and 2 pick (the same rules as
  -- report_visit_facts_source); then its three model rows, reading another session only when a model picked one.
  INSERT INTO report_visit_facts (event_id, model, account_id, site_id, event_at, ch, src, med, camp, term, landing, device)
  WITH n AS MATERIALIZED (
    SELECT r.id, r.account_id, r.site_id, r.first_seen_at, r.channel_id, r.source, r.medium, r.utm_campaign, r.utm_term,
      report_landing_page(r.landing_url) AS landing, report_device_class(r.device->>'ua') AS device,
      CASE WHEN r.source = '(direct)' THEN (SELECT w.id FROM web_sessions w
        WHERE w.visitor_id = r.visitor_id AND w.source <> '(direct)' AND NOT w.is_bot
          AND w.first_seen_at <= r.first_seen_at AND w.first_seen_at > r.first_seen_at - interval '90 days'
        ORDER BY w.first_seen_at DESC LIMIT 1) END AS a0,
      (SELECT w.id FROM web_sessions w WHERE w.visitor_id = r.visitor_id AND NOT w.is_bot AND w.first_seen_at <= r.first_seen_at
        ORDER BY w.first_seen_at ASC LIMIT 1) AS a2
    FROM new_rows r WHERE NOT r.is_bot
  )
  SELECT n.id, m.model, n.account_id, n.site_id, n.first_seen_at,
    CASE WHEN a.id IS NULL THEN n.channel_id ELSE a.channel_id END,
    CASE WHEN a.id IS NULL THEN n.source ELSE a.source END,
    CASE WHEN a.id IS NULL THEN n.medium ELSE a.medium END,
    CASE WHEN a.id IS NULL THEN n.utm_campaign ELSE a.utm_campaign END,
    CASE WHEN a.id IS NULL THEN n.utm_term ELSE a.utm_term END,
    CASE WHEN a.id IS NULL THEN n.landing ELSE report_landing_page(a.landing_url) END,
    CASE WHEN a.id IS NULL THEN n.device ELSE report_device_class(a.device->>'ua') END
  FROM n
  CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS m (model)
  -- A lookup by key, only for a model that picked another session. OFFSET 0 keeps it a per-row index lookup: the
  -- planner estimates a transition table at a fixed size and would rather hash-join the whole table.
  LEFT JOIN LATERAL (SELECT w.* FROM web_sessions w WHERE w.id = CASE m.model WHEN 0 THEN n.a0 WHEN 2 THEN n.a2 END
    AND w.id <> n.id OFFSET 0) a ON true
  ON CONFLICT (event_id, model) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device;
  -- Other sessions of these visitors that began later (a visit written late): a new visit can be their last
  -- non-direct or first one. Another new session of the same visitor in the batch is refreshed again here; rare.
  SELECT array_agg(DISTINCT w.id), array_agg(w.visitor_id), array_agg(w.first_seen_at) INTO later, vids, ts
    FROM new_rows n CROSS JOIN LATERAL (SELECT w.id, w.visitor_id, w.first_seen_at FROM web_sessions w
      WHERE w.visitor_id = n.visitor_id AND w.first_seen_at >= n.first_seen_at AND w.id <> n.id OFFSET 0) w;
  IF later IS NOT NULL THEN PERFORM report_facts_touch_sessions(later, vids, ts); END IF;
  -- Calls and inquiries made from the new sessions (a call can be written before the visit it came from) and the
  -- visitors' events since.
  SELECT array_agg(DISTINCT id) INTO call_ids FROM (
    SELECT c.id FROM calls c WHERE c.session_id = ANY (ids)
    UNION ALL
    SELECT c.id FROM new_rows n CROSS JOIN LATERAL (SELECT c.id FROM calls c
      WHERE c.visitor_id = n.visitor_id AND c.started_at >= n.first_seen_at OFFSET 0) c
  ) q;
  IF call_ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(call_ids); END IF;
  SELECT array_agg(DISTINCT id) INTO inq_ids FROM (
    SELECT i.id FROM inquiries i WHERE i.session_id = ANY (ids)
    UNION ALL
    SELECT i.id FROM new_rows n CROSS JOIN LATERAL (SELECT i.id FROM inquiries i
      WHERE i.visitor_id = n.visitor_id AND i.received_at >= n.first_seen_at OFFSET 0) i
  ) q;
  IF inq_ids IS NOT NULL THEN PERFORM report_facts_refresh_inquiries(inq_ids); END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION report_facts_rebuild_site(p_site TEXT) RETURNS void LANGUAGE plpgsql AS $fn$
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

DROP VIEW IF EXISTS report_session_facts_source;
DROP TABLE IF EXISTS report_session_facts;
