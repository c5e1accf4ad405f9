-- Storage per account as a maintained counter (issue 5): conversation text (title, content, metadata as
-- stored), attachment bytes and the bytes of export files still kept. Statement-level triggers with
-- transition tables keep it in step with every write, in the writer's transaction, whatever path wrote
-- (API, GraphQL, inbound channels, jobs, CLI, raw SQL); a bulk INSERT adds its rows in one update.
-- The plan's limit is configuration, so the check is the application's (src/modules/usage/storage-quota.ts):
-- after its write, still inside the transaction, it reads the row its own write has locked.
--
-- `tx_id` / `tx_start_bytes`: the transaction that last changed the row and the total before its first
-- change, so the writer learns what its transaction added (for the 80% crossing and the refusal) without
-- computing the bytes itself. Writers of one account queue on this row until the first commits.

-- CreateTable
CREATE TABLE "account_storage" (
    "account_id" TEXT NOT NULL,
    "conversation_bytes" BIGINT NOT NULL DEFAULT 0,
    "attachment_bytes" BIGINT NOT NULL DEFAULT 0,
    "export_bytes" BIGINT NOT NULL DEFAULT 0,
    "tx_id" BIGINT,
    "tx_start_bytes" BIGINT,

    CONSTRAINT "account_storage_pkey" PRIMARY KEY ("account_id")
);

-- AddForeignKey
ALTER TABLE "account_storage" ADD CONSTRAINT "account_storage_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The bytes a conversation counts for. Same definition as before (octet_length of each, jsonb as text).
CREATE FUNCTION conversation_text_bytes(p_title text, p_content text, p_metadata jsonb) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(octet_length(p_title), 0)::int8 + coalesce(octet_length(p_content), 0) + coalesce(octet_length(p_metadata::text), 0) $$;

-- Adds per-account deltas of one kind. Rows of deleted accounts are gone (ON DELETE CASCADE): nothing to do.
CREATE FUNCTION account_storage_add(p_kind text, p_accounts text[], p_deltas bigint[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
  BEGIN
    UPDATE account_storage s
       SET tx_start_bytes = CASE WHEN s.tx_id = txid_current() THEN s.tx_start_bytes
                                 ELSE s.conversation_bytes + s.attachment_bytes + s.export_bytes END,
           tx_id = txid_current(),
           conversation_bytes = s.conversation_bytes + CASE WHEN p_kind = 'conversation' THEN d.delta ELSE 0 END,
           attachment_bytes = s.attachment_bytes + CASE WHEN p_kind = 'attachment' THEN d.delta ELSE 0 END,
           export_bytes = s.export_bytes + CASE WHEN p_kind = 'export' THEN d.delta ELSE 0 END
      FROM unnest(p_accounts, p_deltas) AS d(account_id, delta)
     WHERE s.account_id = d.account_id AND d.delta <> 0;
  END
  $$;

CREATE FUNCTION conversations_storage_count() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    accounts text[];
    deltas bigint[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(conversation_text_bytes(title, content, metadata))::int8 AS b FROM new_rows GROUP BY account_id) x;
    ELSIF TG_OP = 'DELETE' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, -sum(conversation_text_bytes(title, content, metadata))::int8 AS b FROM old_rows GROUP BY account_id) x;
    ELSE
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(b)::int8 AS b
                FROM (SELECT account_id, conversation_text_bytes(title, content, metadata) AS b FROM new_rows
                      UNION ALL
                      SELECT account_id, -conversation_text_bytes(title, content, metadata) FROM old_rows) u
               GROUP BY account_id) x;
    END IF;
    IF accounts IS NOT NULL THEN PERFORM account_storage_add('conversation', accounts, deltas); END IF;
    RETURN NULL;
  END
  $$;

CREATE FUNCTION attachments_storage_count() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    accounts text[];
    deltas bigint[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(size)::int8 AS b FROM new_rows GROUP BY account_id) x;
    ELSIF TG_OP = 'DELETE' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, -sum(size)::int8 AS b FROM old_rows GROUP BY account_id) x;
    ELSE
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(b)::int8 AS b
                FROM (SELECT account_id, size::int8 AS b FROM new_rows UNION ALL SELECT account_id, -size::int8 FROM old_rows) u
               GROUP BY account_id) x;
    END IF;
    IF accounts IS NOT NULL THEN PERFORM account_storage_add('attachment', accounts, deltas); END IF;
    RETURN NULL;
  END
  $$;

-- An export's file counts while it is kept (storage_key set); the cleanup job clears storage_key.
CREATE FUNCTION exports_storage_count() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    accounts text[];
    deltas bigint[];
  BEGIN
    IF TG_OP = 'INSERT' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(CASE WHEN storage_key IS NULL THEN 0 ELSE coalesce(size_bytes, 0) END)::int8 AS b
                FROM new_rows GROUP BY account_id) x;
    ELSIF TG_OP = 'DELETE' THEN
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, -sum(CASE WHEN storage_key IS NULL THEN 0 ELSE coalesce(size_bytes, 0) END)::int8 AS b
                FROM old_rows GROUP BY account_id) x;
    ELSE
      SELECT array_agg(account_id), array_agg(b) INTO accounts, deltas
        FROM (SELECT account_id, sum(b)::int8 AS b
                FROM (SELECT account_id, CASE WHEN storage_key IS NULL THEN 0 ELSE coalesce(size_bytes, 0) END AS b FROM new_rows
                      UNION ALL
                      SELECT account_id, -CASE WHEN storage_key IS NULL THEN 0 ELSE coalesce(size_bytes, 0) END FROM old_rows) u
               GROUP BY account_id) x;
    END IF;
    IF accounts IS NOT NULL THEN PERFORM account_storage_add('export', accounts, deltas); END IF;
    RETURN NULL;
  END
  $$;

-- Every account has its row from the start.
CREATE FUNCTION accounts_storage_row() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    INSERT INTO account_storage (account_id) SELECT id FROM new_rows ON CONFLICT DO NOTHING;
    RETURN NULL;
  END
  $$;

-- Transition tables allow one event per trigger and no column list: three triggers per table.
-- Creating them locks the tables against writes until this migration commits, so the backfill below
-- counts exactly what the triggers will not.
CREATE TRIGGER accounts_storage_row AFTER INSERT ON accounts
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION accounts_storage_row();

CREATE TRIGGER conversations_storage_insert AFTER INSERT ON conversations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_storage_count();
CREATE TRIGGER conversations_storage_update AFTER UPDATE ON conversations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_storage_count();
CREATE TRIGGER conversations_storage_delete AFTER DELETE ON conversations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_storage_count();

CREATE TRIGGER attachments_storage_insert AFTER INSERT ON attachments
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attachments_storage_count();
CREATE TRIGGER attachments_storage_update AFTER UPDATE ON attachments
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attachments_storage_count();
CREATE TRIGGER attachments_storage_delete AFTER DELETE ON attachments
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION attachments_storage_count();

CREATE TRIGGER exports_storage_insert AFTER INSERT ON exports
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exports_storage_count();
CREATE TRIGGER exports_storage_update AFTER UPDATE ON exports
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION exports_storage_count();
CREATE TRIGGER exports_storage_delete AFTER DELETE ON exports
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION exports_storage_count();

-- Backfill: what every existing account stores now.
INSERT INTO account_storage (account_id, conversation_bytes, attachment_bytes, export_bytes)
SELECT a.id,
       coalesce((SELECT sum(conversation_text_bytes(c.title, c.content, c.metadata)) FROM conversations c WHERE c.account_id = a.id), 0),
       coalesce((SELECT sum(t.size) FROM attachments t WHERE t.account_id = a.id), 0),
       coalesce((SELECT sum(e.size_bytes) FROM exports e WHERE e.account_id = a.id AND e.storage_key IS NOT NULL), 0)
  FROM accounts a;
