// Signed, expiring download links served by this API (`GET /v1/files/<id>/<name>?expires=&signature=`),
// usable without an API key. signature = HMAC-SHA256(secret, "<id>/<name>\n<expires>") in base64url.
// The secret is FILE_SIGNING_SECRET, or a random one generated once into DATA_DIR/file-signing.key
// (several instances without a shared DATA_DIR must set FILE_SIGNING_SECRET).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.js';

export interface UrlSigner {
  /** An absolute URL for `/v1/files/<objectPath>`, valid until `expiresAt`. */
  url(baseUrl: string, objectPath: string, expiresAt: Date): string;
  /** 'ok', or why the link is refused. */
  verify(objectPath: string, expires: string | null, signature: string | null, now?: Date): 'ok' | 'invalid' | 'expired';
}

export function signature(secret: Buffer | string, objectPath: string, expires: number): string {
  return crypto.createHmac('sha256', secret).update(`${objectPath}\n${expires}`).digest('base64url');
}

export function signerFor(secret: Buffer | string): UrlSigner {
  return {
    url(baseUrl, objectPath, expiresAt) {
      const expires = Math.floor(expiresAt.getTime() / 1000);
      const encoded = objectPath.split('/').map(encodeURIComponent).join('/');
      return `${baseUrl}/v1/files/${encoded}?expires=${expires}&signature=${signature(secret, objectPath, expires)}`;
    },
    verify(objectPath, expires, sig, now = new Date()) {
      if (!expires || !sig || !/^\d{1,12}$/.test(expires)) return 'invalid';
      const expected = Buffer.from(signature(secret, objectPath, Number(expires)));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'invalid';
      return Number(expires) * 1000 < now.getTime() ? 'expired' : 'ok';
    },
  };
}

export async function createSigner(config: Pick<Config, 'dataDir' | 'files'>): Promise<UrlSigner> {
  return signerFor(config.files.signingSecret ?? (await generatedSecret(config.dataDir)));
}

/** Read, or created once with a random value (mode 0600). */
async function generatedSecret(dataDir: string): Promise<Buffer> {
  const file = path.join(dataDir, 'file-signing.key');
  await fs.promises.mkdir(dataDir, { recursive: true });
  if (!fs.existsSync(file)) {
    // Written aside, then linked into place: a concurrent start either wins or reads the winner's whole file.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
    await fs.promises.writeFile(tmp, crypto.randomBytes(32).toString('hex'), { mode: 0o600 });
    try {
      await fs.promises.link(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
  }
  const text = (await fs.promises.readFile(file, 'utf8')).trim();
  if (text.length < 32) throw new Error(`${file} holds no usable secret; delete it or set FILE_SIGNING_SECRET`);
  return Buffer.from(text);
}
