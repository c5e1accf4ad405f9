// What happens to the part of a request body that no handler read, once the answer is written: a
// request refused before its body is read (401, 403, 404, 413, 415, 429) must still get that answer
// to the client. Closing the connection while the client is still sending makes the kernel reset it,
// and the client then sees EPIPE or ECONNRESET instead of the answer (docs/api.md, "Early refusals").
//
// So nothing cuts a connection before its answer is out. After the answer:
// - a body of at most DRAIN_BYTES still to come is read and thrown away, and the connection is kept;
// - a bigger one (declared, or counted while draining) gets a lingering close, as nginx and Apache do:
//   the server sends FIN after the answer, keeps reading and discarding until the body ends or
//   LINGER_MS pass, then closes. The client has had the whole answer long before.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Unread body still drained on a kept connection (1 MiB). */
export const DRAIN_BYTES = 1024 * 1024;
/** How long a lingering close keeps reading a refused body after the answer, at most. */
export const LINGER_MS = 5_000;

/** Call once per request, before any handler runs. */
export function settleUnreadBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits = { drainBytes: DRAIN_BYTES, lingerMs: LINGER_MS },
): void {
  res.once('finish', () => {
    if (req.complete || req.destroyed) return;
    // A parser the handler piped the body into (busboy) stops getting it; the rest is discarded here.
    req.unpipe();
    let seen = 0;
    const declared = Number(req.headers['content-length']);
    const socket = req.socket;
    let lingering = false;
    const linger = () => {
      if (lingering) return;
      lingering = true;
      socket.end(); // FIN after the answer; reading goes on
      const timer = setTimeout(() => socket.destroy(), limits.lingerMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
      };
      req.once('end', done);
      socket.once('close', () => clearTimeout(timer));
    };
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limits.drainBytes) linger();
    });
    // Discarded bytes only; a stream error here is the client going away.
    req.on('error', () => {});
    req.resume();
    if (Number.isFinite(declared) && declared > limits.drainBytes) linger();
  });
}
