// What every summarizer offers the pipeline. `local` is the default; `openai` speaks to any
// OpenAI-compatible endpoint.
import type { SummaryStyle } from '../summary-input.js';

export interface SummaryRequest {
  title: string;
  content: string;
  source: 'email' | 'whatsapp' | 'api';
  /** ISO 639-1; absent = the conversation's own language. */
  language?: string;
  style: SummaryStyle;
}

export interface SummaryOutput {
  title: string;
  content: string;
  sentiment: 'positive' | 'neutral' | 'negative';
  /** ≤ 8 short lowercase phrases. */
  topics: string[];
  actionItems: string[];
  /** ISO 639-1 of the summary. */
  language: string;
}

export interface SummaryProvider {
  readonly name: 'local' | 'openai';
  readonly model: string | null;
  summarize(request: SummaryRequest): Promise<SummaryOutput>;
}
