// `npm run worker`: BullMQ workers only, no HTTP. Several may run at once, on any machine that
// reaches the same PostgreSQL and Redis. Needs REDIS_URL: without it jobs run inside `npm start`.
import type http from 'node:http';
import type { App } from './app.js';
import { createApp } from './create-app.js';
import { ConfigError, loadConfigOrExit, type Config } from './config.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { applyMigrations } from './lib/migrate.js';
import { bindMetricsSource, startMetricsServer } from './lib/metrics.js';
import { logTracingProblems, startTracing } from './lib/tracing.js';

export interface RunningWorker {
  app: App;
  /** Stops taking jobs and waits for the running ones, then closes the connections. */
  stop(): Promise<void>;
}

export async function startWorker(config: Config): Promise<RunningWorker> {
  if (!config.redisUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  REDIS_URL: is required by `npm run worker` (without Redis, jobs run inside `npm start`)',
    );
  }
  const tracing = await startTracing(config, 'aimychats-worker'); // before anything it traces, the logger included
  const log = createLogger(config.logLevel, 'aimychats-worker');
  logTracingProblems(log);
  const db = await openDatabase(config, log);
  await applyMigrations(db, log);
  const app = createApp(config, db, log);
  await app.jobs.startWorkers();
  // METRICS_PORT: job and queue metrics of this worker on /metrics (API instances serve their own).
  const unbindMetrics = bindMetricsSource(app);
  let metricsServer: http.Server | undefined;
  if (config.server.metricsPort)
    metricsServer = await startMetricsServer(config.server.metricsPort, config.host, config.server.metricsToken, log);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping: finishing the jobs in progress');
      metricsServer?.close();
      unbindMetrics();
      await app.jobs.close();
      await app.events.close();
      await db.close();
      log.info('worker stopped');
      await tracing?.shutdown(); // sends the spans still buffered
    })());
  return { app, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfigOrExit();
  startWorker(config).then(
    (worker) => {
      const onSignal = (signal: string) => {
        worker.app.log.info({ signal }, 'signal received');
        const force = setTimeout(() => {
          worker.app.log.warn('jobs did not finish in time; exiting (they will run again)');
          process.exit(1);
        }, config.shutdownTimeoutMs);
        worker.stop().then(
          () => {
            clearTimeout(force);
            process.exit(0);
          },
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
    },
    (err) => {
      process.stderr.write(`${err instanceof ConfigError ? err.message : `Worker failed to start: ${(err as Error).stack ?? err}`}\n`);
      process.exit(1);
    },
  );
}
