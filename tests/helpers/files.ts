// Multipart uploads as clients send them (fetch + FormData), and a look at what is on disk.
import fs from 'node:fs';
import path from 'node:path';
import { readResponse } from './server.js';

export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);

export async function uploadFile(
  baseUrl: string,
  apiKey: string | undefined,
  conversationId: string,
  parts: { file?: { bytes: Uint8Array | string; name?: string; type?: string }; filename?: string; extra?: Record<string, string> },
) {
  const form = new FormData();
  if (parts.file)
    form.append(
      'file',
      new Blob([parts.file.bytes as BlobPart], { type: parts.file.type ?? 'text/plain' }),
      parts.file.name ?? 'upload.bin',
    );
  if (parts.filename !== undefined) form.append('filename', parts.filename);
  for (const [k, v] of Object.entries(parts.extra ?? {})) form.append(k, v);
  const res = await fetch(`${baseUrl}/v1/conversations/${conversationId}/attachments`, {
    method: 'POST',
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
    body: form,
  });
  return readResponse(res);
}

/** A GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec). */
export async function graphqlUpload(
  baseUrl: string,
  apiKey: string,
  query: string,
  variables: Record<string, unknown>,
  file: { bytes: Uint8Array | string; name: string },
) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables: { ...variables, file: null } }));
  form.append('map', JSON.stringify({ 0: ['variables.file'] }));
  form.append('0', new Blob([file.bytes as BlobPart]), file.name);
  const res = await fetch(`${baseUrl}/graphql`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}` }, body: form });
  return readResponse(res);
}

/** Every regular file under `dir` (relative paths), [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath ?? (d as any).path, d.name)));
}
