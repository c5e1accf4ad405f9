// What every export format needs: the export's own description and the REST shape of a conversation.
import type { ExportConversation } from '../export-source.js';

export interface ExportMeta {
  id: string;
  format: string;
  /** As the client gave them, snake_case (REST). */
  filters: Record<string, unknown>;
  createdAt: Date;
}

export type Batches = AsyncIterable<ExportConversation[]>;

/** A conversation as GET /v1/conversations/{id} shows it (attachments without their expiring urls). */
export function restConversation(c: ExportConversation) {
  return {
    id: c.id,
    title: c.title,
    content: c.content,
    source: c.source,
    status: c.status,
    metadata: c.metadata,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    summary: c.summary
      ? {
          title: c.summary.title,
          content: c.summary.content,
          sentiment: c.summary.sentiment,
          topics: c.summary.topics,
          action_items: c.summary.actionItems,
        }
      : null,
    attachments: c.attachments.map((a) => ({ id: a.id, filename: a.filename, size: a.size, mime_type: a.mimeType })),
  };
}

export function describeFilters(filters: Record<string, unknown>): string {
  const parts = Object.entries(filters).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${Array.isArray(v) ? v.join(', ') : String(v)}`);
  return parts.length ? parts.join('; ') : 'none (all conversations)';
}
