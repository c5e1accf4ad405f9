// The bytes of an upload on their way to storage: counted, cut off at a limit (the stream errors, so
// the storage backend discards what it wrote), and the first few KB kept to sniff the type from.
import { Transform, type TransformCallback } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';

/** file-type reads at most this many bytes for its signatures. */
const HEAD_BYTES = 4100;

export class ByteGate extends Transform {
  bytes = 0;
  private readonly head: Buffer[] = [];
  private headBytes = 0;

  /** `limit`: the most bytes allowed; one more and the stream fails with `tooLarge()`. */
  constructor(
    private readonly limit: number,
    private readonly tooLarge: () => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(this.tooLarge());
      return;
    }
    if (this.headBytes < HEAD_BYTES) {
      const part = chunk.subarray(0, HEAD_BYTES - this.headBytes);
      this.head.push(Buffer.from(part));
      this.headBytes += part.length;
    }
    done(null, chunk);
  }

  headBuffer(): Buffer {
    return Buffer.concat(this.head);
  }
}

const TEXT_BY_EXTENSION: Record<string, string> = {
  csv: 'text/csv',
  md: 'text/markdown',
  markdown: 'text/markdown',
  json: 'application/json',
  eml: 'message/rfc822',
  ics: 'text/calendar',
  vtt: 'text/vtt',
};

/**
 * The MIME type from the bytes (magic numbers via file-type). Bytes no signature matches are text when
 * they decode as UTF-8 without NULs — then the extension may refine it (csv, markdown, json) — and
 * `application/octet-stream` otherwise. The client's Content-Type is never consulted.
 */
export async function sniffMimeType(head: Buffer, filename: string): Promise<string> {
  const found = await fileTypeFromBuffer(head);
  if (found) return found.mime;
  if (!looksLikeText(head)) return 'application/octet-stream';
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  return (ext && TEXT_BY_EXTENSION[ext]) ?? 'text/plain';
}

function looksLikeText(head: Buffer): boolean {
  if (head.includes(0)) return false;
  // The head may end inside a multi-byte character: allow up to 3 trailing bytes to be cut.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut));
      return true;
    } catch {
      // try a shorter prefix
    }
  }
  return false;
}
