-- migrate:up
-- The console's language per user (null = follow the browser), and what people add to a call by hand.
ALTER TABLE users ADD COLUMN IF NOT EXISTS locale TEXT CHECK (locale IN ('en', 'ru'));
CREATE TABLE IF NOT EXISTS call_notes (
  call_id     TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
  account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  tags        JSONB NOT NULL DEFAULT '[]',
  note        TEXT NOT NULL DEFAULT '',
  spam        BOOLEAN NOT NULL DEFAULT false,
  updated_by  TEXT,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS call_notes_tags_idx ON call_notes USING gin (tags);

-- migrate:down
DROP TABLE IF EXISTS call_notes;
ALTER TABLE users DROP COLUMN IF EXISTS locale;
