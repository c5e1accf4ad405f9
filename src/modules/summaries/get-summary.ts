import type { AccountScope } from '../../app.js';
import type { Summary } from '../../generated/prisma/client.js';
import type { Database } from '../../lib/db.js';
import { AppError } from '../../lib/errors.js';
import { isId } from '../../lib/ids.js';

/** One summary of the account. Unknown, malformed and foreign ids are all 404. */
export async function getSummary(db: Database, scope: AccountScope, id: string): Promise<Summary> {
  if (!isId('summary', id)) throw AppError.notFound('Summary');
  const summary = await db.prisma.summary.findFirst({ where: { id, accountId: scope.accountId } });
  if (!summary) throw AppError.notFound('Summary');
  return summary;
}
