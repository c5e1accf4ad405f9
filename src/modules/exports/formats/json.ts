// JSON: `{"export": {...}, "data": [<conversations in their REST shape>], "meta": {"total": n}}`,
// written one conversation at a time.
import { Readable } from 'node:stream';
import { restConversation, type Batches, type ExportMeta } from './common.js';

export function jsonExport(batches: Batches, meta: ExportMeta): Readable {
  return Readable.from(
    (async function* () {
      const head = {
        id: meta.id,
        format: meta.format,
        filters: meta.filters,
        created_at: meta.createdAt.toISOString(),
        generated_at: new Date().toISOString(),
      };
      yield `{"export":${JSON.stringify(head)},"data":[`;
      let n = 0;
      for await (const batch of batches) {
        let chunk = '';
        for (const c of batch) chunk += `${n++ ? ',' : ''}\n${JSON.stringify(restConversation(c))}`;
        yield chunk;
      }
      yield `${n ? '\n' : ''}],"meta":{"total":${n}}}\n`;
    })(),
    { objectMode: false },
  );
}
