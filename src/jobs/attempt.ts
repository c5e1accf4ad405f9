// One attempt of one job, the same for BullMQ and in-process runs: re-validate the payload, run the
// handler, and on the final failure let the handler record it (e.g. a summary marked `failed`)
// before the job is moved to the failed set — so a crash in between leaves retryable work, never a
// stuck one.
import { isAppError } from '../lib/errors.js';
import { recordJobAttempt } from '../lib/metrics.js';
import { fieldErrorsFromZod } from '../lib/validation.js';
import { DeferJob, failureReason, PermanentJobError, type JobContext, type JobDefinition, type JobApp } from './definition.js';

/** How long a job waits for the database to come back before it tries again. */
const UNAVAILABLE_DEFER_MS = 5_000;

export interface AttemptInfo {
  jobId: string;
  attempt: number;
  maxAttempts: number;
}

export async function runAttempt(app: JobApp, def: JobDefinition, raw: unknown, info: AttemptInfo): Promise<void> {
  const log = app.log.child({ queue: def.queue, job: def.name, jobId: info.jobId, attempt: info.attempt });
  const parsed = def.payload.safeParse(raw);
  if (!parsed.success) {
    recordJobAttempt(def.queue, def.name, 0, { final: true });
    throw new PermanentJobError(`Invalid payload: ${JSON.stringify(fieldErrorsFromZod(parsed.error))}`);
  }
  const ctx: JobContext = { app, log, ...info };
  const handler = await def.handler();
  const started = Date.now();
  try {
    await handler.run(parsed.data, ctx);
    log.info({ ms: Date.now() - started }, 'job completed');
    recordJobAttempt(def.queue, def.name, (Date.now() - started) / 1000);
  } catch (err) {
    if (err instanceof DeferJob) throw err; // not a failure: the runner delays the same job
    // The database is down or restarting (lib/db.ts): waiting for it must not use up the attempts —
    // a long outage would otherwise fail summaries and exports for good.
    // Only when the database really is down: a statement that itself breaks the connection (a crashing
    // query) would otherwise be replayed forever without ever using an attempt.
    if (isAppError(err) && err.code === 'service_unavailable' && !(await databaseAnswers(app))) {
      log.warn({ ms: Date.now() - started }, 'database unavailable; job deferred');
      throw new DeferJob(UNAVAILABLE_DEFER_MS * (0.8 + 0.4 * Math.random()));
    }
    const reason = failureReason(err);
    const final = err instanceof PermanentJobError || info.attempt >= info.maxAttempts;
    recordJobAttempt(def.queue, def.name, (Date.now() - started) / 1000, { final });
    log[final ? 'error' : 'warn']({ err, ms: Date.now() - started, final }, final ? 'job failed' : 'job attempt failed; will retry');
    if (final && handler.failed) {
      try {
        await handler.failed(parsed.data, reason, ctx);
      } catch (e) {
        log.error({ err: e }, 'recording the job failure failed');
      }
    }
    throw err;
  }
}

async function databaseAnswers(app: JobApp): Promise<boolean> {
  try {
    await app.db.ping();
    return true;
  } catch {
    return false;
  }
}

/** Exponential backoff, as BullMQ's `exponential` type computes it: base × 2^(attempt−1). */
export function backoffDelay(baseMs: number, failedAttempt: number): number {
  return Math.round(baseMs * 2 ** (failedAttempt - 1));
}

/** Runs `failed` for work whose job ended without the handler hearing of it (a stalled-out job). */
export async function recordLostFailure(app: JobApp, def: JobDefinition, payload: unknown, jobId: string, reason: string): Promise<void> {
  const handler = await def.handler();
  if (!handler.failed) return;
  const log = app.log.child({ queue: def.queue, job: def.name, jobId });
  await handler.failed(payload, reason, { app, log, jobId, attempt: 0, maxAttempts: 0 });
}
