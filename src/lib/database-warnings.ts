// Start-up checks of the PostgreSQL server's own settings that decide how reads age (docs/operations.md).
// Every summary completion updates its conversation, so each conversation leaves a dead row version
// behind; without autovacuum they are never cleaned, the visibility map is never set and the planner's
// statistics stay those of an empty account. The statements are written to survive that state
// (bench/README.md), but scans still read the dead versions: the operator is told once, at start-up.
import type { Database } from './db.js';
import type { Logger } from './logger.js';

export const AUTOVACUUM_OFF_WARNING =
  "PostgreSQL's autovacuum is off on this server: dead row versions (every conversation leaves one when its summary completes) " +
  'are never cleaned and table statistics are never refreshed, so search and lists read more and more dead rows as data grows. ' +
  'Turn it on (autovacuum = on in postgresql.conf), or run `VACUUM ANALYZE` on a schedule.';

/** Logs AUTOVACUUM_OFF_WARNING when the server runs without autovacuum (never for the embedded database). */
export async function warnAboutDatabaseSettings(db: Database, log: Logger): Promise<void> {
  if (db.kind !== 'postgres') return; // the embedded database is single-user: vacuumed on its own terms
  try {
    const rows = await db.query<{ autovacuum: string }>(`SELECT current_setting('autovacuum') AS autovacuum`);
    if (rows[0]?.autovacuum === 'off') log.warn({ autovacuum: 'off' }, AUTOVACUUM_OFF_WARNING);
  } catch (e) {
    log.debug({ err: e }, 'could not read the autovacuum setting');
  }
}
