import { describe, expect, it } from 'vitest';
import { sanitizeFilename } from '../../src/modules/attachments/filename.js';
import { sniffMimeType } from '../../src/modules/attachments/intake.js';
import { signerFor } from '../../src/lib/storage/signing.js';
import { s3ClientConfig, s3Location } from '../../src/lib/storage/s3-storage.js';
import { assertKey } from '../../src/lib/storage/storage.js';
import { contentDisposition } from '../../src/rest/files-door.js';

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system32\\cmd.exe', 'cmd.exe'],
    ['report\u0000.pdf', 'report.pdf'],
    ['invoice\u202efdp.exe', 'invoicefdp.exe'],
    ['  spaced   out  .txt ', 'spaced out .txt'],
    ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['.htaccess', 'htaccess'],
    ['..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['Résumé — 履歴書.pdf', 'Résumé — 履歴書.pdf'],
  ])('%j → %j', (raw, expected) => expect(sanitizeFilename(raw)).toBe(expected));

  it('keeps the extension when shortening to 200 bytes', () => {
    const name = sanitizeFilename(`${'é'.repeat(300)}.docx`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200);
    expect(name.endsWith('.docx')).toBe(true);
  });
});

describe('sniffMimeType', () => {
  it('trusts bytes, not names', async () => {
    expect(await sniffMimeType(Buffer.from('%PDF-1.7\n'), 'x.txt')).toBe('application/pdf');
    expect(await sniffMimeType(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), 'x.txt')).not.toBe('text/plain');
    expect(await sniffMimeType(Buffer.from('id,name\n1,a'), 'x.csv')).toBe('text/csv');
    expect(await sniffMimeType(Buffer.from('plain words'), 'x.exe')).toBe('text/plain');
    expect(await sniffMimeType(Buffer.from([0x01, 0x02, 0x00, 0x41, 0x9a]), 'x.txt')).toBe('application/octet-stream');
    // A multi-byte character cut at the end of the sniffed head is still text.
    expect(await sniffMimeType(Buffer.from('ab€').subarray(0, 4), 'x.txt')).toBe('text/plain');
  });
});

describe('signed links', () => {
  const signer = signerFor('k'.repeat(32));
  const now = new Date('2030-01-01T00:00:00Z');

  it('verify what they signed, until expiry', () => {
    const url = new URL(signer.url('https://api.example.com', 'att_1/My file.pdf', new Date(now.getTime() + 60_000)));
    expect(url.pathname).toBe('/v1/files/att_1/My%20file.pdf');
    const [e, s] = [url.searchParams.get('expires'), url.searchParams.get('signature')];
    expect(signer.verify('att_1/My file.pdf', e, s, now)).toBe('ok');
    expect(signer.verify('att_1/My file.pdf', e, s, new Date(now.getTime() + 61_000))).toBe('expired');
    expect(signer.verify('att_2/My file.pdf', e, s, now)).toBe('invalid');
    expect(signer.verify('att_1/My file.pdf', String(Number(e) + 1), s, now)).toBe('invalid');
    expect(signer.verify('att_1/My file.pdf', e, `${s}x`, now)).toBe('invalid');
    expect(signer.verify('att_1/My file.pdf', null, s, now)).toBe('invalid');
    expect(signerFor('x'.repeat(32)).verify('att_1/My file.pdf', e, s, now)).toBe('invalid');
  });
});

describe('S3 mapping', () => {
  const base = { bucket: 'b', region: 'eu-west-1', forcePathStyle: true, prefix: '' };
  it('maps keys under the prefix', () => {
    expect(s3Location(base, 'attachments/a/b')).toEqual({ Bucket: 'b', Key: 'attachments/a/b' });
    expect(s3Location({ ...base, prefix: '/tenant/' }, 'exports/x.csv')).toEqual({ Bucket: 'b', Key: 'tenant/exports/x.csv' });
  });
  it('builds the client configuration', () => {
    expect(s3ClientConfig({ ...base, endpoint: 'http://minio:9000', accessKeyId: 'a', secretAccessKey: 's' })).toMatchObject({
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    });
    expect(s3ClientConfig({ ...base, forcePathStyle: false })).not.toHaveProperty('credentials');
  });
  it('refuses keys that are not built from ids', () => {
    for (const bad of ['../x', 'a/../b', '/abs', 'a//b', 'A/B', 'a/b c']) expect(() => assertKey(bad)).toThrow();
    expect(assertKey('exports/user_1/export_2.csv')).toBe('exports/user_1/export_2.csv');
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('Résumé "x".pdf')).toBe(
      `attachment; filename="R_sum_ _x_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22x%22.pdf`,
    );
  });
});
