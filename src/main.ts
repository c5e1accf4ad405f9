// `npm start`: configuration → database (+ migrations) → HTTP server; graceful shutdown on SIGTERM/SIGINT.
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from './app.js';
import { createApp } from './create-app.js';
import { warnIfInProcessJobsInProduction } from './jobs/production-warning.js';
import { loadConfigOrExit, type Config } from './config.js';
import { warnAboutDatabaseSettings } from './lib/database-warnings.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { applyMigrations } from './lib/migrate.js';
import { logTracingProblems, startTracing } from './lib/tracing.js';
import { createHttpServer, type AppServer } from './server.js';

export interface Running {
  app: App;
  server: AppServer;
  url: string;
  stop(): Promise<void>;
}

export async function start(config: Config): Promise<Running> {
  const tracing = await startTracing(config, 'aimychats-api'); // before anything it traces, the logger included
  const log = createLogger(config.logLevel);
  logTracingProblems(log);
  const db = await openDatabase(config, log, { shareEmbedded: true });
  await applyMigrations(db, log);
  const app = createApp(config, db, log);
  warnIfInProcessJobsInProduction(config.env, app.jobs.mode, log);
  await warnAboutDatabaseSettings(db, log);
  // Without Redis the jobs can only run here (development mode), whatever RUN_WORKERS says.
  if (config.jobs.runWorkers || app.jobs.mode === 'in-process') await app.jobs.startWorkers();
  await app.events.whenReady();
  await app.accounting.start();
  const server = createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
  log.info({ url, database: db.kind, jobs: app.jobs.mode }, 'listening');

  let stopping: Promise<void> | undefined;
  // While draining, a request that arrives on a kept-alive connection is still served, but its response
  // closes the connection.
  server.prependListener('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = () =>
    (stopping ??= (async () => {
      log.info('shutting down: finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await server.closeSubscriptions();
      // server.close() stops accepting and closes the connections idle at that moment; connections
      // whose request finishes later would stay open until their keep-alive timeout (and hold the
      // exit until the grace period ends), so they are closed as soon as they are idle too.
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
      await app.accounting.close(); // no request is left: flushes every count to the database
      await app.jobs.close(); // finishes the jobs in progress
      await app.events.close();
      await db.close();
      log.info('stopped');
      await tracing?.shutdown(); // sends the spans still buffered
    })());
  return { app, server, url, stop };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  start(loadConfigOrExit()).then(
    (running) => {
      const onSignal = (signal: string) => {
        running.app.log.info({ signal }, 'signal received');
        running.stop().then(
          () => process.exit(0),
          (err) => {
            running.app.log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => onSignal('SIGTERM'));
      process.once('SIGINT', () => onSignal('SIGINT'));
    },
    (err) => {
      process.stderr.write(`Failed to start: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
