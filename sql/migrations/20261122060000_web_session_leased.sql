-- migrate:up
-- Whether the session was given a pool (leased) number: a heartbeat that finds no lease for such a session answers
-- 410 (start again), while a session that only ever had channel-level numbers keeps going.
ALTER TABLE web_sessions ADD COLUMN leased BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX tel_clicks_session_idx ON tel_clicks (session_id);

-- migrate:down
DROP INDEX tel_clicks_session_idx;
ALTER TABLE web_sessions DROP COLUMN leased;
