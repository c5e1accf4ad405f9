-- A status change (e.g. a failed summary) must reach an external search index too, whose documents carry
-- `status` for filtering: bump `search_version` unless the search trigger already did in this update.
-- (Triggers on one event fire in name order: conversations_search_refresh runs first.)
CREATE FUNCTION conversations_search_version_on_status() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NEW.search_version = OLD.search_version THEN
      NEW.search_version := OLD.search_version + 1;
    END IF;
    RETURN NEW;
  END
  $$;

CREATE TRIGGER conversations_search_version_on_status
  BEFORE UPDATE OF status ON conversations
  FOR EACH ROW EXECUTE FUNCTION conversations_search_version_on_status();
