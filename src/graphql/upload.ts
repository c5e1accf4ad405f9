// File uploads through the GraphQL multipart request spec, with graphql-upload-minimal: its
// `processRequest` parses the multipart body (streaming, never buffering a file) and places an `Upload`
// where each file goes in the variables; Yoga then executes those operations. The scalar is defined
// here rather than imported so that it belongs to the same graphql-js instance as the schema.
import { Readable } from 'node:stream';
import { GraphQLError, GraphQLScalarType } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { processRequest, Upload, type FileUpload } from 'graphql-upload-minimal';

export type { FileUpload };

export const UploadScalar = new GraphQLScalarType<Promise<FileUpload>, never>({
  name: 'Upload',
  description: 'A file sent through the GraphQL multipart request specification.',
  parseValue(value) {
    if (value instanceof Upload) return value.promise;
    throw new GraphQLError('Upload value invalid: send the file as a multipart request');
  },
  parseLiteral(node) {
    throw new GraphQLError('Upload literal unsupported', { nodes: node });
  },
  serialize() {
    throw new GraphQLError('Upload serialization unsupported');
  },
});

/**
 * For multipart requests, the parameters come from graphql-upload-minimal (Yoga's own multipart parser
 * would hold each file in memory). `maxFileSize` is one byte over the
 * per-file limit, so the service's gate sees the excess and answers 413.
 */
export function useGraphQLUpload(maxFileBytes: number): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (!/^multipart\/form-data/i.test(request.headers.get('content-type') ?? '') || !request.body) return;
      setRequestParser(async () => {
        // Read through Yoga's own request body: the Node request already feeds it, and a second reader
        // of the Node stream would stall once Yoga's unread buffer filled up.
        const source = request.body as unknown as AsyncIterable<Uint8Array>;
        const body = Object.assign(Readable.from(source, { objectMode: false }), { headers: Object.fromEntries(request.headers) });
        try {
          return (await processRequest(body as never, undefined as never, { maxFileSize: maxFileBytes + 1, maxFiles: 10 })) as never;
        } catch (e) {
          const err = e as { status?: number; message: string };
          throw new GraphQLError(err.message, {
            extensions: {
              code: err.status === 413 ? 'payload_too_large' : 'bad_request',
              http: { status: err.status && err.status < 500 ? err.status : 400 },
            },
          });
        }
      });
    },
  };
}
