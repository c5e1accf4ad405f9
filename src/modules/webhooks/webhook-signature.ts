// Standard Webhooks (https://www.standardwebhooks.com): `whsec_` + base64 secret; the signature is
// `v1,` + base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>")). Several
// signatures are space-separated; receivers accept the message if any one verifies.
import crypto from 'node:crypto';

const PREFIX = 'whsec_';

/** 32 random bytes: the spec asks for 24 to 64. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${crypto.randomBytes(32).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const mac = crypto.createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three headers of one attempt; every secret still valid signs (the newest first). */
export function signatureHeaders(secrets: string[], id: string, body: string, now = new Date()): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((s) => sign(s, id, timestamp, body)).join(' '),
  };
}
