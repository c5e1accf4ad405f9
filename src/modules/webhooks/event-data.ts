// The `data` of each event, as receivers see it: the REST API's snake_case shape, kept small
// (a conversation's content is not sent; receivers fetch it when they need it).

export interface ConversationSnapshot {
  id: string;
  title: string;
  source: string;
  status: string;
  metadata?: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export function conversationData(c: ConversationSnapshot): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    source: c.source,
    status: c.status,
    metadata: c.metadata ?? {},
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export interface SummarySnapshot {
  id: string;
  conversationId: string;
  status: string;
  language?: string | null;
  style?: string | null;
  title?: string | null;
  content?: string | null;
  sentiment?: string | null;
  topics?: string[];
  actionItems?: string[];
  error?: string | null;
}

export function summaryData(s: SummarySnapshot): Record<string, unknown> {
  const base = { id: s.id, conversation_id: s.conversationId, status: s.status };
  if (s.status === 'failed') return { ...base, error: s.error ?? null };
  return {
    ...base,
    language: s.language ?? null,
    style: s.style ?? null,
    title: s.title ?? null,
    content: s.content ?? null,
    sentiment: s.sentiment ?? null,
    topics: s.topics ?? [],
    action_items: s.actionItems ?? [],
  };
}

export function apiKeyData(k: {
  id: string;
  name: string | null;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

/**
 * Outbox-only keys: kept in the event row for the workers (a deleted conversation's `search_version`,
 * which search indexing needs once the row is gone), never sent to receivers.
 */
const INTERNAL_KEYS: ReadonlySet<string> = new Set(['search_version']);

/** The `data` receivers see: the recorded data without the outbox-only keys. */
export function publicEventData(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([k]) => !INTERNAL_KEYS.has(k)));
}
