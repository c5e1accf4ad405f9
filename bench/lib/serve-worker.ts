// Child process for the benchmarks: a job worker (what `npm run worker` runs), configured from the
// environment. Prints one JSON line {"url": null, "pid": …} on stdout once its workers consume, so that
// spawnServer can wait for it; SIGTERM stops it cleanly (finishing the jobs in progress).
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';

const config = loadConfig(process.env);
const log = createLogger(config.logLevel, 'bench-worker');
const db = await openDatabase(config, log);
const app = createApp(config, db, log);
await app.jobs.startWorkers();
process.stdout.write(`${JSON.stringify({ url: null, pid: process.pid })}\n`);
process.once('SIGTERM', () =>
  void (async () => {
    await app.jobs.close();
    await app.events.close();
    await db.close();
  })().then(() => process.exit(0), () => process.exit(1)),
);
