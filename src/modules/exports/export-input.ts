// Validation of an export request (docs/spec/product.md §8): format, the search filters, options.
import { z } from 'zod';
import { filtersInput } from '../search/search-input.js';

export const FORMATS = ['pdf', 'json', 'csv', 'markdown'] as const;
export type ExportFormat = (typeof FORMATS)[number];

export const exportInput = z.object({
  format: z.enum(FORMATS, {
    error: (i) => (i.input === undefined ? 'Format is required' : `Format must be one of: ${FORMATS.join(', ')}`),
  }),
  filters: filtersInput.default({}),
  options: z
    .object({ includeAttachments: z.boolean({ error: 'Include attachments must be true or false' }).default(false) })
    .strict()
    .default({ includeAttachments: false }),
});

export interface ExportInput {
  format?: string;
  filters?: Record<string, unknown>;
  options?: { includeAttachments?: boolean };
}

export const EXTENSIONS: Record<ExportFormat, string> = { pdf: 'pdf', json: 'json', csv: 'csv', markdown: 'md' };
