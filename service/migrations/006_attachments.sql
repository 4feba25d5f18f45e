-- Attachments: files linked to a message, stored as objects (S3 with SSE-KMS under the PHI key, or a local
-- directory). The row holds ids, the media type and the size; never the file name (it may itself be PHI:
-- a client that wants one puts it in the message text, which is sealed).
CREATE TABLE hmk.attachments (
  id              uuid PRIMARY KEY,
  conversation_id uuid NOT NULL,
  message_id      uuid NOT NULL REFERENCES hmk.messages (id),
  uploader_id     uuid NOT NULL,
  -- Derived from ids only, so a row can never point at another conversation's object.
  object_key      text NOT NULL UNIQUE CHECK (object_key = 'attachments/' || conversation_id::text || '/' || id::text),
  content_type    text NOT NULL CHECK (char_length(content_type) BETWEEN 3 AND 255),
  size_bytes      bigint NOT NULL CHECK (size_bytes > 0),
  -- 'pending' until the service has seen the uploaded object with the declared size and type.
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  CHECK ((status = 'ready') = (completed_at IS NOT NULL))
);
CREATE INDEX attachments_message_idx ON hmk.attachments (message_id);
CREATE INDEX attachments_conversation_idx ON hmk.attachments (conversation_id);
ALTER TABLE hmk.attachments ENABLE ROW LEVEL SECURITY;

-- Read like messages: participants, and readers under an unexpired break-glass grant.
CREATE POLICY attachments_read ON hmk.attachments FOR SELECT TO hmk_app
  USING (conversation_id IN (SELECT hmk.readable_conversation_ids()));
-- Only the sender of the message attaches to it, as a participant (break-glass never writes).
CREATE POLICY attachments_insert ON hmk.attachments FOR INSERT TO hmk_app
  WITH CHECK (uploader_id = hmk.user_id() AND status = 'pending'
              AND conversation_id IN (SELECT hmk.my_conversation_ids())
              AND EXISTS (SELECT 1 FROM hmk.messages m
                           WHERE m.id = attachments.message_id AND m.conversation_id = attachments.conversation_id
                             AND m.sender_id = hmk.user_id()));
-- The one change a user makes: their own pending upload becomes ready. A ready attachment is never changed.
CREATE POLICY attachments_complete ON hmk.attachments FOR UPDATE TO hmk_app
  USING (uploader_id = hmk.user_id() AND status = 'pending' AND conversation_id IN (SELECT hmk.my_conversation_ids()))
  WITH CHECK (uploader_id = hmk.user_id() AND status = 'ready' AND conversation_id IN (SELECT hmk.my_conversation_ids()));
-- An upload that failed its check is discarded (its object is deleted by the service); ready ones stay.
CREATE POLICY attachments_discard ON hmk.attachments FOR DELETE TO hmk_app
  USING (uploader_id = hmk.user_id() AND status = 'pending' AND conversation_id IN (SELECT hmk.my_conversation_ids()));

GRANT SELECT, INSERT, DELETE ON hmk.attachments TO hmk_app;
GRANT UPDATE (status, completed_at) ON hmk.attachments TO hmk_app;
