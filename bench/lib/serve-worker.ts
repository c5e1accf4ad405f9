// Child process for the benchmarks: a job worker (src/worker.ts's startWorker, what `npm run worker`
// runs), configured from the environment. Prints one JSON line {"url": null, "pid": …} on stdout once
// its workers consume, so that spawnServer can wait for it; SIGTERM stops it cleanly.
import { loadConfig } from '../../src/config.js';
import { startWorker } from '../../src/worker.js';

const worker = await startWorker(loadConfig(process.env));
process.stdout.write(`${JSON.stringify({ url: null, pid: process.pid })}\n`);
process.once(
  'SIGTERM',
  () =>
    void worker.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    ),
);
