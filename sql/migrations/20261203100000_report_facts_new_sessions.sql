-- Report facts of newly inserted web sessions, cheaper: the visit write-behind inserts thousands of sessions a
-- batch, and the statement trigger used to treat them as changed sessions (report_facts_touch_sessions): delete
-- their facts (a brand-new session has none), then derive them through report_visit_facts_source, which classifies
-- the device and cuts the landing page once per attribution model. Now the new rows' own values are derived once
-- per session and the three model rows come from them; only a model that picks another session (last non-direct
-- for a direct visit, first click for a returning visitor) reads that session. The insert still upserts, so facts a
-- bulk load left behind with facts off are overwritten.
-- Sessions of the same visitors that began later (a visit written late) and calls and inquiries of those sessions
-- and visitors are refreshed as before. Deletes keep the old path.

-- migrate:up

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

-- migrate:down

CREATE OR REPLACE FUNCTION report_facts_sessions_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
