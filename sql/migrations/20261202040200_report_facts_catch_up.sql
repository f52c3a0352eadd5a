-- Report facts that two concurrent transactions could leave stale are put right shortly after. Two refreshes of one
-- event (a call written while the visit it came from is flushed by another transaction) must neither fail nor
-- leave the older picture: a refresh now deletes what it can see and upserts (a row another transaction inserted
-- meanwhile is updated, not a unique violation in the call or visit write), and report_facts_catch_up(since) recomputes the events of the last minutes, after those
-- transactions have committed (the reports.facts-catch-up job, every minute, over the last 10 minutes).

-- migrate:up

CREATE OR REPLACE FUNCTION report_facts_refresh_calls(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind = 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_call_facts_source WHERE event_id = ANY (ids)
  ON CONFLICT (event_id, model, kind) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, caller = EXCLUDED.caller, answered = EXCLUDED.answered, talk_seconds = EXCLUDED.talk_seconds, outcome = EXCLUDED.outcome, tn = EXCLUDED.tn, ft = EXCLUDED.ft, lead_id = EXCLUDED.lead_id, opens_lead = EXCLUDED.opens_lead, lead_status = EXCLUDED.lead_status, lead_amount = EXCLUDED.lead_amount, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device;
END
$fn$;

CREATE OR REPLACE FUNCTION report_facts_refresh_inquiries(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind <> 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_inquiry_facts_source WHERE event_id = ANY (ids)
  ON CONFLICT (event_id, model, kind) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, caller = EXCLUDED.caller, answered = EXCLUDED.answered, talk_seconds = EXCLUDED.talk_seconds, outcome = EXCLUDED.outcome, tn = EXCLUDED.tn, ft = EXCLUDED.ft, lead_id = EXCLUDED.lead_id, opens_lead = EXCLUDED.opens_lead, lead_status = EXCLUDED.lead_status, lead_amount = EXCLUDED.lead_amount, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device;
END
$fn$;

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

-- Recomputes the facts of the events that began at or after `since` (per site and account, by the time indexes):
-- their sessions with the visitors' later events, their calls and inquiries. Returns how many events it looked at.
CREATE FUNCTION report_facts_catch_up(since TIMESTAMPTZ) RETURNS INTEGER LANGUAGE plpgsql AS $fn$
DECLARE
  ids TEXT[]; vids TEXT[]; ts TIMESTAMPTZ[]; call_ids TEXT[]; inq_ids TEXT[];
BEGIN
  SELECT array_agg(w.id), array_agg(w.visitor_id), array_agg(w.first_seen_at) INTO ids, vids, ts
    FROM sites s JOIN LATERAL (SELECT id, visitor_id, first_seen_at FROM web_sessions
      WHERE site_id = s.id AND first_seen_at >= since) w ON true;
  IF ids IS NOT NULL THEN PERFORM report_facts_touch_sessions(ids, vids, ts); END IF;
  SELECT array_agg(c.id) INTO call_ids
    FROM sites s JOIN LATERAL (SELECT id FROM calls WHERE site_id = s.id AND started_at >= since) c ON true;
  IF call_ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(call_ids); END IF;
  SELECT array_agg(i.id) INTO inq_ids
    FROM accounts a JOIN LATERAL (SELECT id FROM inquiries WHERE account_id = a.id AND received_at >= since) i ON true;
  IF inq_ids IS NOT NULL THEN PERFORM report_facts_refresh_inquiries(inq_ids); END IF;
  RETURN coalesce(cardinality(ids), 0) + coalesce(cardinality(call_ids), 0) + coalesce(cardinality(inq_ids), 0);
END
$fn$;

-- migrate:down

DROP FUNCTION IF EXISTS report_facts_catch_up(TIMESTAMPTZ);
CREATE OR REPLACE FUNCTION report_facts_refresh_calls(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind = 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_call_facts_source WHERE event_id = ANY (ids);
END
$fn$;

CREATE OR REPLACE FUNCTION report_facts_refresh_inquiries(ids TEXT[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM report_call_facts WHERE event_id = ANY (ids) AND kind <> 'call';
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device
    FROM report_inquiry_facts_source WHERE event_id = ANY (ids);
END
$fn$;

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

