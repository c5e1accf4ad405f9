// `npm run worker`: BullMQ workers only, no HTTP. Several may run at once, on any machine that
// reaches the same PostgreSQL and Redis. Needs REDIS_URL: without it jobs run inside `npm start`.
import { createApp } from './app.js';
import { ConfigError, loadConfigOrExit, type Config } from './config.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { applyMigrations } from './lib/migrate.js';
import { bindMetricsSource, startMetricsServer } from './lib/metrics.js';

async function main(config: Config) {
  const log = createLogger(config.logLevel, 'aimychats-worker');
  if (!config.redisUrl) {
    throw new ConfigError('Invalid configuration:\n  REDIS_URL: is required by `npm run worker` (without Redis, jobs run inside `npm start`)');
  }
  const db = await openDatabase(config, log);
  await applyMigrations(db, log);
  const app = createApp(config, db, log);
  await app.jobs.startWorkers();
  // METRICS_PORT: job and queue metrics of this worker on /metrics (API instances serve their own).
  bindMetricsSource(app);
  if (config.server.metricsPort) await startMetricsServer(config.server.metricsPort, config.host, config.server.metricsToken, log);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing the jobs in progress');
    const force = setTimeout(() => {
      log.warn('jobs did not finish in time; exiting (they will run again)');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    await app.jobs.close();
    await app.events.close();
    await db.close();
    clearTimeout(force);
    log.info('worker stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main(loadConfigOrExit()).catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `Worker failed to start: ${(err as Error).stack ?? err}`}\n`);
  process.exit(1);
});
