-- Call events as the webhooks and AMI deliver them, written in batches (one multi-row INSERT per batch) right behind
-- the voice answer, then applied to calls (attribution, leads) one by one at the database's pace. A row is deleted
-- once applied; the call_events ledger keeps applying idempotent, so a row applied twice (a crash between the apply
-- and the delete) changes nothing.

-- migrate:up

CREATE TABLE call_event_inbox (
  -- The id the receiving process gave the event (also its line in that process's on-disk journal).
  id             TEXT PRIMARY KEY,
  provider       TEXT NOT NULL,
  event_key      TEXT NOT NULL,
  -- The tenant whose login signed the event, when the adapter knows it ('' otherwise): another tenant's forged
  -- event with the same key must not take the real one's place.
  signed_by      TEXT NOT NULL DEFAULT '',
  payload        JSONB NOT NULL,
  received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  attempts       INTEGER NOT NULL DEFAULT 0,
  -- Held by the replica applying it until then; free again (crash, retry later) once past.
  claimed_until  TIMESTAMPTZ NOT NULL DEFAULT '-infinity',
  UNIQUE (provider, event_key, signed_by)
);
CREATE INDEX call_event_inbox_due_idx ON call_event_inbox (claimed_until, received_at);

-- migrate:down

DROP TABLE call_event_inbox;
