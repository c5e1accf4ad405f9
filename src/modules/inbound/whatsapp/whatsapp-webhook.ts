// The WhatsApp Business Cloud API webhook, /v1/inbound/whatsapp. It belongs to the deployment, not to
// an account, and takes no API key (docs/spec/product.md §3): Meta proves itself instead — the GET subscription
// handshake with WHATSAPP_VERIFY_TOKEN, and on every POST an HMAC-SHA256 of the raw body with
// WHATSAPP_APP_SECRET in `X-Hub-Signature-256`. Served from server.ts before the REST door, like the
// signed file downloads. Without both settings the path does not exist (404).
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../../../app.js';
import { AppError, isAppError } from '../../../lib/errors.js';
import { readBody, sendError, sendJson } from '../../../lib/http.js';
import type { Logger } from '../../../lib/logger.js';
import { messagesOf } from './cloud-payload.js';
import { receiveWhatsAppMessages } from './receive-messages.js';

export const WHATSAPP_WEBHOOK_PATH = '/v1/inbound/whatsapp';

/** Meta's deliveries are small; this only bounds what an unsigned caller can make us read. */
const BODY_LIMIT = 3 * 1024 * 1024;

export function signatureOf(appSecret: string, body: Buffer): string {
  return `sha256=${crypto.createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** Constant-time comparison of the header against the expected signature. */
export function validSignature(appSecret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signatureOf(appSecret, body));
  const given = Buffer.from(header.trim().toLowerCase());
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

function sameSecret(a: string, b: string): boolean {
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

export function createWhatsAppWebhook(app: App) {
  return async function handleWhatsAppWebhook(req: IncomingMessage, res: ServerResponse, url: URL, log: Logger): Promise<void> {
    try {
      const settings = app.config.inbound.whatsappWebhook;
      if (!settings) throw new AppError('not_found', 'The WhatsApp webhook is not configured on this deployment');
      if (req.method === 'GET') {
        const q = url.searchParams;
        const token = q.get('hub.verify_token') ?? '';
        if (q.get('hub.mode') !== 'subscribe' || !sameSecret(token, settings.verifyToken)) {
          throw new AppError('forbidden', 'Verification failed: hub.mode must be subscribe and hub.verify_token must match');
        }
        const challenge = q.get('hub.challenge') ?? '';
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(challenge) });
        res.end(challenge);
        return;
      }
      if (req.method !== 'POST') {
        throw new AppError(
          'method_not_allowed',
          `${req.method} is not allowed on ${url.pathname}`,
          { allowed: ['GET', 'POST'] },
          { Allow: 'GET, POST' },
        );
      }
      const body = await readBody(req, BODY_LIMIT);
      if (!validSignature(settings.appSecret, body, req.headers['x-hub-signature-256'])) {
        throw new AppError('unauthorized', 'Missing or invalid X-Hub-Signature-256');
      }
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch (e) {
        throw new AppError('bad_request', 'Request body is not valid JSON', { reason: (e as Error).message });
      }
      const { messages, skipped } = messagesOf(payload);
      // Stored before answering: a failure here is a 500, and Meta delivers again (duplicates are ignored).
      const outcome = await receiveWhatsAppMessages(app, messages);
      log.info({ ...outcome, skipped }, 'whatsapp webhook');
      sendJson(res, 200, { received: messages.length, ...outcome });
    } catch (e) {
      if (!req.complete) {
        res.setHeader('Connection', 'close');
        req.resume();
      }
      if (isAppError(e)) return sendError(res, e);
      log.error({ err: e }, 'whatsapp webhook failed');
      sendError(res, new AppError('internal_error', 'An internal error occurred'));
    }
  };
}
