-- The message a tracked alias received, kept until it is forwarded to the business (the outbox retries the relay):
-- the exact bytes, so the copy the business gets has the sender's headers and body as they came.

-- migrate:up

CREATE TABLE inbound_mail (
  inquiry_id    TEXT PRIMARY KEY REFERENCES inquiries(id) ON DELETE CASCADE,
  account_id    TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  raw           BYTEA NOT NULL,
  -- Where it goes: the business's real address, as set when it arrived.
  forward_to    TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:down

DROP TABLE inbound_mail;
