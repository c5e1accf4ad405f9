// Child process for the benchmark: the real server (src/main.ts's start), configured from the
// environment, in its own process so that it does not share an event loop with autocannon.
// Prints one JSON line {"url": …} on stdout when listening; SIGTERM stops it cleanly (a clean exit is
// also what lets `--cpu-prof` write its profile).
import { loadConfig } from '../../src/config.js';
import { start } from '../../src/main.js';

const running = await start(loadConfig(process.env));
// The "accounting off" server of the bench: rate limiting and request counting replaced by nothing, to
// measure what they cost (there is no such switch in the product: requests are always counted).
if (process.env.BENCH_NO_ACCOUNTING === '1') running.app.accounting.admit = async () => {};
process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
process.once(
  'SIGTERM',
  () =>
    void running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    ),
);
