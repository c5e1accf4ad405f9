// The shape services hand to the doors. `content` and `metadata` are absent on list rows
// (the list query does not read them); GraphQL loads them on demand.
import type { ConversationSource, ProcessingStatus } from '../../generated/prisma/enums.js';
import type { Attachment, Summary } from '../../generated/prisma/client.js';
import type { Row } from '../../lib/db.js';

/** A summary row, in Prisma's model shape (the GraphQL type is a Prisma object). */
export type SummaryRecord = Summary;

export interface ConversationRecord {
  id: string;
  accountId: string;
  title: string;
  content?: string;
  source: ConversationSource;
  status: ProcessingStatus;
  metadata?: Record<string, unknown>;
  contentVersion: number;
  createdAt: Date;
  updatedAt: Date;
  summary: SummaryRecord | null;
  /** Set when the service already knows them (a conversation just created has none); else loaded. */
  attachments?: Attachment[];
}

/** Columns of the current summary, prefixed `s_`, for a LEFT JOIN on `summaries s`. */
export const SUMMARY_COLUMNS = `s.id AS s_id, s.content_version AS s_content_version, s.status AS s_status, s.language AS s_language, s.style AS s_style,
  s.title AS s_title, s.content AS s_content, s.sentiment AS s_sentiment, s.topics AS s_topics,
  s.action_items AS s_action_items, s.provider AS s_provider, s.model AS s_model, s.error AS s_error,
  s.created_at AS s_created_at, s.completed_at AS s_completed_at`;

export function summaryFromRow(r: Row, conversationId: string): SummaryRecord | null {
  if (r.s_id == null) return null;
  return {
    id: r.s_id as string,
    accountId: r.account_id as string,
    conversationId,
    contentVersion: r.s_content_version as number,
    status: r.s_status as ProcessingStatus,
    language: r.s_language as string | null,
    style: r.s_style as string,
    title: r.s_title as string | null,
    content: r.s_content as string | null,
    sentiment: r.s_sentiment as string | null,
    topics: (r.s_topics as string[]) ?? [],
    actionItems: (r.s_action_items as string[]) ?? [],
    provider: r.s_provider as string | null,
    model: r.s_model as string | null,
    error: r.s_error as string | null,
    createdAt: r.s_created_at as Date,
    completedAt: r.s_completed_at as Date | null,
  };
}

export function conversationFromRow(r: Row): ConversationRecord {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    title: r.title as string,
    content: (r.content as string | undefined) ?? undefined,
    source: r.source as ConversationSource,
    status: r.status as ProcessingStatus,
    metadata: (r.metadata as Record<string, unknown> | undefined) ?? undefined,
    contentVersion: r.content_version as number,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
    summary: summaryFromRow(r, r.id as string),
  };
}
