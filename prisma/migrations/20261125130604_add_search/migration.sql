-- Search (issue 4): a weighted tsvector per conversation, kept in step by triggers, and a per-account
-- word list for the typo-tolerant fallback. pg_trgm ships with PostgreSQL and with PGlite
-- (src/lib/db.ts loads it into the embedded database).
--
-- The GIN indexes deliberately leave account_id out (no btree_gin): with one large account, a
-- composite GIN entry for account_id lists every row of that account and made even a miss cost a
-- full posting-list read (3.5 ms vs 0.04 ms at 20,000 rows); the account filter is applied on the
-- few rows the text condition finds.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- AlterTable
ALTER TABLE "conversations" ADD COLUMN     "search_vector" tsvector,
ADD COLUMN     "search_version" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "search_words" (
    "account_id" TEXT NOT NULL,
    "word" TEXT NOT NULL,

    CONSTRAINT "search_words_pkey" PRIMARY KEY ("account_id","word")
);

-- CreateIndex
CREATE INDEX "search_words_word_idx" ON "search_words" USING GIN ("word" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "conversations_search_vector_idx" ON "conversations" USING GIN ("search_vector");

-- AddForeignKey
ALTER TABLE "search_words" ADD CONSTRAINT "search_words_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Text as the search parser should see it. The default parser reads `<…>` as HTML tags and drops
-- them (and everything inside <script>/<style>); conversations are plain text, so `<` and `>` are
-- separators here. translate() keeps every other character at its offset, which the snippet code
-- relies on to map highlights back onto the original text.
CREATE FUNCTION search_plain_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT translate(coalesce(t, ''), E'<>\x01\x02', '    ') $$;

-- Title (A) above the current summary's title, text and topics (B) above the content (C).
CREATE FUNCTION conversation_search_vector(p_title text, p_summary text, p_content text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$
    SELECT setweight(to_tsvector('english'::regconfig, search_plain_text(p_title)), 'A')
        || setweight(to_tsvector('english'::regconfig, search_plain_text(p_summary)), 'B')
        || setweight(to_tsvector('english'::regconfig, search_plain_text(p_content)), 'C')
  $$;

-- Runs in the transaction that changes the conversation, so a conversation is searchable as soon
-- as that transaction commits. Setting search_vector to NULL forces a refresh (see the summaries
-- trigger below).
CREATE FUNCTION conversations_search_refresh() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  DECLARE
    summary_text text;
  BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.title IS NOT DISTINCT FROM OLD.title
       AND NEW.content IS NOT DISTINCT FROM OLD.content
       AND NEW.summary_id IS NOT DISTINCT FROM OLD.summary_id
       AND NEW.search_vector IS NOT NULL THEN
      RETURN NEW;
    END IF;
    SELECT concat_ws(' ', s.title, s.content, array_to_string(s.topics, ' ')) INTO summary_text
      FROM summaries s WHERE s.id = NEW.summary_id AND s.account_id = NEW.account_id;
    NEW.search_vector := conversation_search_vector(NEW.title, summary_text, NEW.content);
    IF TG_OP = 'UPDATE' THEN
      NEW.search_version := OLD.search_version + 1;
    END IF;
    -- Sorted, so that concurrent inserts of overlapping words take their locks in the same order.
    INSERT INTO search_words (account_id, word)
      SELECT NEW.account_id, w
        FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig,
               search_plain_text(concat_ws(' ', NEW.title, summary_text, NEW.content))))) AS w
       WHERE char_length(w) BETWEEN 3 AND 40 AND w !~ '[^[:alpha:]]'
       ORDER BY w
      ON CONFLICT DO NOTHING;
    RETURN NEW;
  END
  $$;

CREATE TRIGGER conversations_search_refresh
  BEFORE INSERT OR UPDATE OF title, content, summary_id, search_vector ON conversations
  FOR EACH ROW EXECUTE FUNCTION conversations_search_refresh();

-- A summary's words become searchable when it becomes current (summary_id changes, above) and
-- whenever the current summary's text is edited in place.
CREATE FUNCTION summaries_search_refresh() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    UPDATE conversations SET search_vector = NULL
     WHERE summary_id = NEW.id AND account_id = NEW.account_id;
    RETURN NULL;
  END
  $$;

CREATE TRIGGER summaries_search_refresh
  AFTER UPDATE OF title, content, topics ON summaries
  FOR EACH ROW
  WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.content IS DISTINCT FROM NEW.content OR OLD.topics IS DISTINCT FROM NEW.topics)
  EXECUTE FUNCTION summaries_search_refresh();

-- Existing conversations.
UPDATE conversations SET search_vector = NULL;
