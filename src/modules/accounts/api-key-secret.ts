import crypto from 'node:crypto';

// `amc_` + 32 random bytes in base64url. The visible prefix identifies a key in listings and logs.
const SECRET_PATTERN = /^amc_[A-Za-z0-9_-]{43}$/;

export interface NewSecret {
  secret: string;
  prefix: string;
  hash: string;
}

export function hashSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

export function generateSecret(): NewSecret {
  const secret = `amc_${crypto.randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, 12), hash: hashSecret(secret) };
}

export function looksLikeSecret(value: string): boolean {
  return SECRET_PATTERN.test(value);
}
