// Throughput of the offline summarizer on synthetic ~2 KB chat transcripts (never the evaluation data).
// Usage: tsx bench/summarizer.bench.ts   (SECONDS=n to change the measuring time, default 5)
import { summarizeLocally, type SummarizeInput } from '../src/modules/summaries/local/index.js';
import { seededRandom } from './lib/seeded-random.js';

const NAMES = ['Tom', 'Anna', 'Maria', 'John', 'Priya', 'Lukas', 'Chen', 'Sofia', 'Omar', 'Grace'];
const THINGS = ['pricing sheet', 'contract', 'demo', 'invoice', 'roadmap', 'budget', 'report', 'onboarding plan', 'offer'];
const DAYS = ['tomorrow', 'on Monday', 'next week', 'by Friday', 'tonight', 'after lunch'];
const LINES = [
  'Hi {b}, did you get a chance to look at the {t}?',
  'Yes, I did. It looks good overall but a few numbers are off.',
  'Could you send me the updated {t} {d}?',
  "Sure, I'll send it {d}. I'm still waiting for the final figures from finance.",
  "Great, thanks! Let's schedule a call with the team {d} to go through it.",
  'I am not happy with the delays, the client has been asking about the {t} for two weeks :(',
  'I understand, we will fix it. Can you ask {c} to review the {t} as well?',
  'Ok, I will ask {c}. Do you want me to book a meeting room?',
  "No need, we can do it online. I'll share the link {d} 👍",
  'Perfect. Also the {t2} needs another pass, the last version had some mistakes.',
  'Agreed. We should also update the {t2} before the demo.',
  'Thanks a lot, talk to you {d}!',
];

function conversation(rand: () => number, targetBytes = 2048): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const [a, b, c] = [pick(NAMES), pick(NAMES), pick(NAMES)];
  const speakers = a === b ? [a, 'Sam'] : [a, b];
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < targetBytes; i++) {
    const line = pick(LINES)
      .replaceAll('{b}', speakers[(i + 1) % 2]!)
      .replaceAll('{c}', c!)
      .replaceAll('{t}', pick(THINGS))
      .replaceAll('{t2}', pick(THINGS))
      .replaceAll('{d}', pick(DAYS));
    const text = `${speakers[i % 2]}: ${line}`;
    out.push(text);
    size += Buffer.byteLength(text) + 1;
  }
  return out.join('\n');
}

function main(): void {
  const seconds = Number(process.env.SECONDS ?? 5);
  const rand = seededRandom(42);
  const styles: SummarizeInput['style'][] = ['concise', 'detailed', 'bullet_points'];
  const inputs: SummarizeInput[] = Array.from({ length: 200 }, (_, i) => ({
    content: conversation(rand),
    source: 'api',
    style: styles[i % 3],
  }));
  const avgBytes = inputs.reduce((n, x) => n + Buffer.byteLength(x.content), 0) / inputs.length;

  // Warm-up: the first call loads the language model and lets the JIT settle.
  const loadStart = performance.now();
  summarizeLocally(inputs[0]!);
  const firstCall = performance.now() - loadStart;
  for (let i = 0; i < 200; i++) summarizeLocally(inputs[i % inputs.length]!);

  let count = 0;
  let sink = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 20; i++) sink += summarizeLocally(inputs[count++ % inputs.length]!).content.length;
  }
  const elapsed = (performance.now() - start) / 1000;
  console.log(`inputs: ${inputs.length} synthetic conversations, average ${avgBytes.toFixed(0)} bytes`);
  console.log(`first call (includes loading): ${firstCall.toFixed(0)} ms`);
  console.log(`${count} summaries in ${elapsed.toFixed(2)} s on one thread`);
  console.log(`throughput: ${(count / elapsed).toFixed(0)} summaries/s (${((elapsed / count) * 1000).toFixed(2)} ms each)`);
  if (sink < 0) console.log(sink); // keeps the work observable to the optimiser
}

main();
