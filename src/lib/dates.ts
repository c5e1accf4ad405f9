// Dates in requests: search filters, exports and the usage period all take the same two forms.
const BARE_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** `YYYY-MM-DD` (UTC midnight) or a full ISO 8601 timestamp with a zone; undefined when malformed. */
export function parseDate(s: string): { at: Date; bare: boolean } | undefined {
  const bare = BARE_DATE.exec(s);
  if (bare) {
    const at = new Date(Date.UTC(Number(bare[1]), Number(bare[2]) - 1, Number(bare[3])));
    // Date.UTC rolls 2024-02-30 over into March; a real date reads back the same.
    return at.toISOString().slice(0, 10) === s ? { at, bare: true } : undefined;
  }
  if (!TIMESTAMP.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? { at: new Date(ms), bare: false } : undefined;
}
