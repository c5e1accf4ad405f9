// Operator commands (`npx aimychats whatsapp link|unlink`): which account a WhatsApp Business phone
// number id's webhook messages belong to. One account per number; linking again is a no-op, and a number
// linked elsewhere must be unlinked first (moving a number's future messages is a deliberate act).
// Single statements, so they work through the embedded database's shared socket too.
import type { Database } from '../../../lib/db.js';
import { AppError } from '../../../lib/errors.js';
import { isId } from '../../../lib/ids.js';

export interface NumberLink {
  phone_number_id: string;
  account_id: string;
  created_at: string;
}

const PHONE_NUMBER_ID = /^\d{1,32}$/;

export async function linkPhoneNumber(db: Database, accountId: string, phoneNumberId: string): Promise<NumberLink> {
  if (!PHONE_NUMBER_ID.test(phoneNumberId))
    throw AppError.validation({ phone_number_id: ['Phone number id must be the digits Meta shows for the number'] });
  if (!isId('account', accountId)) throw AppError.notFound('Account');
  const rows = await db.query<{ phone_number_id: string; account_id: string; created_at: Date }>(
    `WITH ins AS (
       INSERT INTO whatsapp_numbers (phone_number_id, account_id) SELECT $2, id FROM accounts WHERE id = $1
       ON CONFLICT (phone_number_id) DO NOTHING RETURNING phone_number_id, account_id, created_at
     )
     SELECT * FROM ins UNION ALL SELECT phone_number_id, account_id, created_at FROM whatsapp_numbers WHERE phone_number_id = $2`,
    [accountId, phoneNumberId],
  );
  const row = rows[0];
  if (!row) throw AppError.notFound('Account');
  if (row.account_id !== accountId) {
    throw AppError.validation({ phone_number_id: ['This phone number id is linked to another account; unlink it there first'] });
  }
  return { phone_number_id: row.phone_number_id, account_id: row.account_id, created_at: row.created_at.toISOString() };
}

export async function unlinkPhoneNumber(
  db: Database,
  accountId: string,
  phoneNumberId: string,
): Promise<{ unlinked: boolean; phone_number_id: string }> {
  const rows = await db.query(`DELETE FROM whatsapp_numbers WHERE phone_number_id = $1 AND account_id = $2 RETURNING 1`, [
    phoneNumberId,
    accountId,
  ]);
  if (!rows.length) throw AppError.notFound('Linked phone number');
  return { unlinked: true, phone_number_id: phoneNumberId };
}
