-- Conversations per account, source and status as a maintained counter (issue 14), like account_storage:
-- statement-level triggers with transition tables keep it in step with every write, in the writer's
-- transaction, whatever path wrote. The list's `meta.total` sums at most nine rows of it instead of
-- counting the account's conversations, which read every row of the account (and, until autovacuum has set
-- the visibility map after API writes, every heap page): exact, per status and source, for any state of
-- the table's statistics. docs/search.md and bench/README.md have the figures.

-- CreateTable
CREATE TABLE "conversation_counts" (
    "account_id" TEXT NOT NULL,
    "source" "conversation_source" NOT NULL,
    "status" "processing_status" NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "conversation_counts_pkey" PRIMARY KEY ("account_id","source","status")
);

-- AddForeignKey
ALTER TABLE "conversation_counts" ADD CONSTRAINT "conversation_counts_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Rows are kept small and HOT-updated in place: each write of a conversation's status rewrites one or two.
ALTER TABLE "conversation_counts" SET (fillfactor = 50);

-- Adds the deltas of one statement. Rows are locked in key order (INSERT … SELECT … ORDER BY, and an
-- ordered FOR UPDATE before a multi-row decrement), so two statements cannot lock them in opposite orders.
-- These triggers sort after the conversations_storage_* ones (trigger order is by name), so a write that
-- changes both takes account_storage first, then these rows, always in that order.
CREATE FUNCTION conversations_tally() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      INSERT INTO conversation_counts AS k (account_id, source, status, n)
      SELECT account_id, source, status, count(*) FROM new_rows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      ON CONFLICT (account_id, source, status) DO UPDATE SET n = k.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
      -- Most updates (summaries, titles, search documents) change neither: nothing is written.
      INSERT INTO conversation_counts AS k (account_id, source, status, n)
      SELECT account_id, source, status, sum(d)
        FROM (SELECT account_id, source, status, 1 AS d FROM new_rows
              UNION ALL
              SELECT account_id, source, status, -1 FROM old_rows) u
       GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
      ON CONFLICT (account_id, source, status) DO UPDATE SET n = k.n + excluded.n;
    ELSE
      -- Update only: when an account is deleted its rows go with it (ON DELETE CASCADE), and inserting
      -- one back would violate the foreign key.
      PERFORM 1 FROM conversation_counts k
        WHERE (k.account_id, k.source, k.status) IN (SELECT account_id, source, status FROM old_rows)
        ORDER BY k.account_id, k.source, k.status
        FOR UPDATE;
      UPDATE conversation_counts k SET n = k.n - d.n
        FROM (SELECT account_id, source, status, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) d
       WHERE k.account_id = d.account_id AND k.source = d.source AND k.status = d.status;
    END IF;
    RETURN NULL;
  END
  $$;

-- Creating them locks conversations against writes until this migration commits, so the backfill below
-- counts exactly what the triggers will not.
CREATE TRIGGER conversations_tally_insert AFTER INSERT ON conversations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_tally();
CREATE TRIGGER conversations_tally_update AFTER UPDATE ON conversations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_tally();
CREATE TRIGGER conversations_tally_delete AFTER DELETE ON conversations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION conversations_tally();

INSERT INTO conversation_counts (account_id, source, status, n)
SELECT account_id, source, status, count(*) FROM conversations GROUP BY 1, 2, 3;

-- Autovacuum and autoanalyze sooner on the tables every API write rewrites (an insert, then a summary
-- update of each conversation and its summary): the defaults wait for 20% of a table to be dead (10% for
-- statistics), which in a growing table leaves the newest accounts with statistics from when they were
-- small and a visibility map that is never set. The statements no longer depend on either for their plan
-- (bench/README.md); this keeps index-only scans and estimates useful for the rest.
ALTER TABLE "conversations" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
ALTER TABLE "summaries" SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
