-- How far a callback got, as its PBX reported it: the business never answered ('failed'), the business answered but
-- the visitor did not ('business_answered'), or both talked ('visitor_answered'). Null until known.

-- migrate:up

ALTER TABLE inquiries ADD COLUMN callback_outcome TEXT CHECK (callback_outcome IN ('failed', 'business_answered', 'visitor_answered'));

-- migrate:down

ALTER TABLE inquiries DROP COLUMN callback_outcome;
