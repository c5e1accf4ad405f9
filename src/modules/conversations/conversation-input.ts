// Validation rules for conversation fields (docs/spec/product.md §4), shared by create and update.
import { z } from 'zod';
import { requiredMessage } from '../../lib/validation.js';

export const METADATA_MAX_BYTES = 16 * 1024;
export const SOURCES = ['email', 'whatsapp', 'api'] as const;
export const STATUSES = ['processing', 'completed', 'failed'] as const;

export const titleField = z
  .string({ error: requiredMessage('Title', 'a string') })
  .trim()
  .min(1, 'Title is required')
  .max(500, 'Title must be at most 500 characters');

export const contentField = (maxChars: number) =>
  z
    .string({ error: requiredMessage('Content', 'a string') })
    .refine((s) => s.trim().length > 0, 'Content is required')
    .refine((s) => s.length <= maxChars, `Content must be less than ${maxChars} characters`);

export function metadataSizeOk(m: Record<string, unknown>): boolean {
  return Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES;
}

export const METADATA_TOO_LARGE = `Metadata must be at most ${METADATA_MAX_BYTES / 1024} KB when serialised as JSON`;

export const metadataField = z
  .record(z.string(), z.unknown(), { error: 'Metadata must be a JSON object' })
  .refine(metadataSizeOk, METADATA_TOO_LARGE);

export const sourceField = z.enum(SOURCES, { error: `Source must be one of: ${SOURCES.join(', ')}` });
