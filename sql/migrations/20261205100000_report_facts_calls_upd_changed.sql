-- A call's report facts were recomputed from report_call_facts_source (three attribution models, each with its
-- LATERAL look-up of the visitor's sessions) on every UPDATE of calls, though an answer, an end or a recording
-- changes nothing the attribution reads (in bench:apply, answers and ends used about 3 ms of plpgsql time per batch of
-- 50 on it), and a recording's update refreshed facts it does not change at all. The update trigger now
-- compares each row's old and new version: a change to what the attribution or the lead columns read (site,
-- start, channel, session, visitor, blocked, direction, lead) recomputes as before; a change only to the call's own
-- columns (caller, answer, talk time, outcome, tracking number, first-time flag) is copied into the facts it already
-- has; anything else (status, recording, forwarding, timestamps) leaves them alone. New calls have no facts yet
-- (a deleted call's go with it), so an insert no longer looks for rows to delete first (about a sixth of the
-- insert trigger's time for a batch of 50); a concurrent refresh's rows are still upserted, not a conflict.

-- migrate:up

CREATE OR REPLACE FUNCTION report_facts_calls_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  INSERT INTO report_call_facts (event_id, model, kind, account_id, site_id, event_at, caller, answered, talk_seconds, outcome,
      tn, ft, lead_id, opens_lead, lead_status, lead_amount, ch, src, med, camp, term, landing, device)
    SELECT f.event_id, f.model, f.kind, f.account_id, f.site_id, f.event_at, f.caller, f.answered, f.talk_seconds, f.outcome,
      f.tn, f.ft, f.lead_id, f.opens_lead, f.lead_status, f.lead_amount, f.ch, f.src, f.med, f.camp, f.term, f.landing, f.device
    FROM report_call_facts_source f WHERE f.event_id = ANY (ARRAY(SELECT id FROM new_rows))
  ON CONFLICT (event_id, model, kind) DO UPDATE SET account_id = EXCLUDED.account_id, site_id = EXCLUDED.site_id, event_at = EXCLUDED.event_at, caller = EXCLUDED.caller, answered = EXCLUDED.answered, talk_seconds = EXCLUDED.talk_seconds, outcome = EXCLUDED.outcome, tn = EXCLUDED.tn, ft = EXCLUDED.ft, lead_id = EXCLUDED.lead_id, opens_lead = EXCLUDED.opens_lead, lead_status = EXCLUDED.lead_status, lead_amount = EXCLUDED.lead_amount, ch = EXCLUDED.ch, src = EXCLUDED.src, med = EXCLUDED.med, camp = EXCLUDED.camp, term = EXCLUDED.term, landing = EXCLUDED.landing, device = EXCLUDED.device;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION report_facts_calls_upd() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  SELECT array_agg(n.id) INTO ids FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE (n.account_id, n.site_id, n.started_at, n.channel_id, n.session_id, n.visitor_id, n.blocked, n.direction, n.lead_id)
    IS DISTINCT FROM (o.account_id, o.site_id, o.started_at, o.channel_id, o.session_id, o.visitor_id, o.blocked, o.direction, o.lead_id);
  IF ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(ids); END IF;
  UPDATE report_call_facts f
  SET caller = n.caller, answered = n.answered_at IS NOT NULL, talk_seconds = n.talk_seconds, outcome = n.outcome,
    tn = n.tracking_e164, ft = n.first_time_caller
  FROM new_rows n JOIN old_rows o ON o.id = n.id
  WHERE f.event_id = n.id AND f.kind = 'call' AND NOT (n.id = ANY (coalesce(ids, '{}')))
    AND (n.caller, n.answered_at IS NOT NULL, n.talk_seconds, n.outcome, n.tracking_e164, n.first_time_caller)
      IS DISTINCT FROM (o.caller, o.answered_at IS NOT NULL, o.talk_seconds, o.outcome, o.tracking_e164, o.first_time_caller);
  RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS report_facts_calls_upd ON calls;
CREATE TRIGGER report_facts_calls_upd AFTER UPDATE ON calls REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_calls_upd();

-- migrate:down

DROP TRIGGER IF EXISTS report_facts_calls_upd ON calls;
CREATE TRIGGER report_facts_calls_upd AFTER UPDATE ON calls REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION report_facts_calls_ins();
DROP FUNCTION IF EXISTS report_facts_calls_upd();
CREATE OR REPLACE FUNCTION report_facts_calls_ins() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE ids TEXT[];
BEGIN
  IF NOT report_facts_enabled() THEN RETURN NULL; END IF;
  SELECT array_agg(id) INTO ids FROM new_rows;
  IF ids IS NOT NULL THEN PERFORM report_facts_refresh_calls(ids); END IF;
  RETURN NULL;
END
$fn$;
