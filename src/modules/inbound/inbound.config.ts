// The inbound-channel settings of the one configuration schema (src/config.ts spreads these variables
// into it, calls `inboundConfigIssues` in its superRefine and `inboundConfig` to build `config.inbound`).
import { z } from 'zod';

const MB = 1024 * 1024;
const bytes = (max: number) => z.coerce.number().int().min(1024).max(max);

export const INBOUND_ENV = {
  /** Largest raw email accepted by POST /v1/inbound/email (413 above it). */
  INBOUND_EMAIL_MAX_BYTES: bytes(2 ** 31 - 1).default(25 * MB),
  /** Cloud API webhook: the app secret that signs deliveries (X-Hub-Signature-256) and the verify token of the GET handshake. */
  WHATSAPP_APP_SECRET: z.string().min(1).optional(),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
  /** A contact's messages more than this many hours apart start a new conversation. */
  WHATSAPP_CONVERSATION_GAP_HOURS: z.coerce.number().positive().default(24),
  /** POST /v1/conversations/import/whatsapp: the uploaded file (.txt or .zip)… */
  WHATSAPP_IMPORT_MAX_BYTES: bytes(2 ** 31 - 1).default(50 * MB),
  /** …and, for a zip, the most it may unpack to and the most entries it may have (zip bombs are refused). */
  WHATSAPP_IMPORT_MAX_UNCOMPRESSED_BYTES: bytes(2 ** 40).default(200 * MB),
  WHATSAPP_IMPORT_MAX_ENTRIES: z.coerce.number().int().min(1).max(100_000).default(1000),
};

type InboundEnv = z.output<z.ZodObject<typeof INBOUND_ENV>>;

export interface InboundConfig {
  emailMaxBytes: number;
  /** Set when both WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN are: the Cloud API webhook is on. */
  whatsappWebhook?: { appSecret: string; verifyToken: string };
  whatsappGapMs: number;
  importMaxBytes: number;
  importMaxUncompressedBytes: number;
  importMaxEntries: number;
}

/** Enabling the webhook takes both of its secrets. */
export function inboundConfigIssues(e: InboundEnv, addIssue: (path: string, message: string) => void): void {
  if (!e.WHATSAPP_APP_SECRET !== !e.WHATSAPP_VERIFY_TOKEN) {
    addIssue(
      e.WHATSAPP_APP_SECRET ? 'WHATSAPP_VERIFY_TOKEN' : 'WHATSAPP_APP_SECRET',
      'WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN go together',
    );
  }
}

export function inboundConfig(e: InboundEnv): InboundConfig {
  return {
    emailMaxBytes: e.INBOUND_EMAIL_MAX_BYTES,
    whatsappWebhook:
      e.WHATSAPP_APP_SECRET && e.WHATSAPP_VERIFY_TOKEN
        ? { appSecret: e.WHATSAPP_APP_SECRET, verifyToken: e.WHATSAPP_VERIFY_TOKEN }
        : undefined,
    whatsappGapMs: Math.round(e.WHATSAPP_CONVERSATION_GAP_HOURS * 3_600_000),
    importMaxBytes: e.WHATSAPP_IMPORT_MAX_BYTES,
    importMaxUncompressedBytes: e.WHATSAPP_IMPORT_MAX_UNCOMPRESSED_BYTES,
    importMaxEntries: e.WHATSAPP_IMPORT_MAX_ENTRIES,
  };
}
