-- migrate:up
-- PBX keys: API keys a PBX or cloud PBX uses to push call recordings (POST /v1/calls/{callId}/recording), and
-- nothing else. People keep the four roles.
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'manager', 'analyst', 'pbx'));

-- migrate:down
DELETE FROM api_keys WHERE role = 'pbx';
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('owner', 'admin', 'manager', 'analyst'));
