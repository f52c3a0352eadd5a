-- Recordings are fetched by a durable job whose state is the recording row itself: a crash between download and
-- store leaves the row claimable again once its lease runs out, so nothing is lost and nothing is fetched twice
-- at the same time.

-- migrate:up

ALTER TABLE recordings
  ADD COLUMN attempts        INTEGER NOT NULL DEFAULT 0,
  ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  ADD COLUMN locked_until    TIMESTAMPTZ,
  ADD COLUMN expected_duration_s NUMERIC(10, 3),
  ADD COLUMN provider_deleted_at TIMESTAMPTZ;

CREATE INDEX recordings_due_idx ON recordings (next_attempt_at) WHERE status IN ('pending', 'fetching');
CREATE INDEX recordings_stored_idx ON recordings (account_id, stored_at) WHERE status = 'stored';

-- migrate:down

DROP INDEX IF EXISTS recordings_stored_idx;
DROP INDEX IF EXISTS recordings_due_idx;
ALTER TABLE recordings
  DROP COLUMN IF EXISTS provider_deleted_at,
  DROP COLUMN IF EXISTS expected_duration_s,
  DROP COLUMN IF EXISTS locked_until,
  DROP COLUMN IF EXISTS next_attempt_at,
  DROP COLUMN IF EXISTS attempts;
