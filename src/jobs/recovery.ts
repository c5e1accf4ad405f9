// Work that should have a job but may not: found in the database by each definition's `recover`.
import type { JobDefinition, JobApp } from './definition.js';

/** Re-enqueues what each definition's `recover` finds; `ensure` adds a job or inspects the one already known. */
export function startRecovery(
  app: JobApp,
  definitions: readonly JobDefinition<any>[],
  ensure: (def: JobDefinition<any>, payload: unknown) => Promise<void>,
): () => void {
  const every = app.config.jobs.recoveryIntervalMs;
  if (every <= 0) return () => {};
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await recoverWork(app, definitions, ensure);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), every);
  timer.unref();
  return () => clearInterval(timer);
}

export async function recoverWork(
  app: JobApp,
  definitions: readonly JobDefinition<any>[],
  ensure: (def: JobDefinition<any>, payload: unknown) => Promise<void>,
): Promise<void> {
  for (const def of definitions) {
    if (!def.recover) continue;
    try {
      const payloads = await def.recover(app, app.config.jobs.recoveryIntervalMs);
      for (const p of payloads) await ensure(def, p);
      if (payloads.length) app.log.info({ job: def.name, count: payloads.length }, 'recovery checked pending work');
    } catch (err) {
      app.log.warn({ err, job: def.name }, 'job recovery failed; will try again');
    }
  }
}

/**
 * Ids of rows of `table` still `processing` `olderThanMs` after they were written (oldest first, at most
 * 1,000 a sweep): work whose job may have been lost (Redis down at enqueue time, a restart in
 * development mode, a job that stalled out).
 */
export async function staleProcessingIds(
  db: { query<T>(sql: string, params: unknown[]): Promise<T[]> },
  table: 'exports' | 'summaries',
  olderThanMs: number,
): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM ${table} WHERE status = 'processing' AND created_at < now() - make_interval(secs => $1) ORDER BY created_at LIMIT 1000`,
    [olderThanMs / 1000],
  );
  return rows.map((r) => r.id);
}
