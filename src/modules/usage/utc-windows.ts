// UTC calendar windows for counting and limiting: the day a request is counted on, and the minute
// and day windows of the rate limits (aligned to the clock, so every instance agrees on them).

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

let cached = { start: 0, end: 0, day: '' };

/** `YYYY-MM-DD` of an instant, in UTC. Cached for the current day: this runs on every request. */
export function utcDay(ms: number): string {
  if (ms >= cached.start && ms < cached.end) return cached.day;
  const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  const day = new Date(start).toISOString().slice(0, 10);
  cached = { start, end: start + DAY_MS, day };
  return day;
}

/** Start (inclusive) and end (exclusive) of the window of `sizeMs` that contains `ms`. */
export function windowOf(ms: number, sizeMs: number): { index: number; start: number; end: number } {
  const index = Math.floor(ms / sizeMs);
  return { index, start: index * sizeMs, end: (index + 1) * sizeMs };
}

/** How many days `from`..`to` (`YYYY-MM-DD`) span, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}
