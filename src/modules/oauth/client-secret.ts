import crypto from 'node:crypto';

/** A client secret is stored as its SHA-256 (hex); the secret itself is shown once, at creation. */
export function hashClientSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}
