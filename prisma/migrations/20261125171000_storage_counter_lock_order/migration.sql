-- One statement that changes the storage of several accounts (an export cleanup, a bulk script) locks
-- their counter rows in account order first, so two such statements cannot lock them in opposite
-- orders and deadlock. Single-account writes (all API paths) lock one row, as before.
CREATE OR REPLACE FUNCTION account_storage_add(p_kind text, p_accounts text[], p_deltas bigint[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF cardinality(p_accounts) > 1 THEN
      PERFORM 1 FROM account_storage s
        WHERE s.account_id IN (SELECT d.account_id FROM unnest(p_accounts, p_deltas) AS d(account_id, delta) WHERE d.delta <> 0)
        ORDER BY s.account_id
        FOR UPDATE;
    END IF;
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
