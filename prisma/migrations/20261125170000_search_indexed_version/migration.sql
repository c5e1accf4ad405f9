-- Elasticsearch indexing recovery: the `search_version` the index is known to hold for each
-- conversation, raised by the `search.sync` job once Elasticsearch accepted the document (or answered
-- that it already holds that version or a newer one) and by `search reindex`. The job recovery sweep
-- re-enqueues `search.sync` for rows where it lags `search_version` (a job lost with Redis).
-- Hand-written: nothing here is written when no Elasticsearch is configured.
--
-- Added without a default first, so existing rows read NULL ("not tracked": never swept, no table
-- rewrite); `search reindex` or their next change tracks them. Rows inserted from now on start at 0.
ALTER TABLE "conversations" ADD COLUMN "search_indexed_version" INTEGER;
ALTER TABLE "conversations" ALTER COLUMN "search_indexed_version" SET DEFAULT 0;

-- The sweep's rows only: a partial index may compare two columns of the same row. With Elasticsearch
-- it holds only the conversations whose index update is pending; with PostgreSQL search (nothing
-- is ever marked indexed) it holds one small entry per conversation written from now on.
CREATE INDEX "conversations_search_unindexed_idx" ON "conversations" ("updated_at")
  WHERE "search_indexed_version" < "search_version";
