import type { SummariesConfig } from '../../../config.js';
import { localProvider } from './local-provider.js';
import { OpenAiProvider } from './openai-provider.js';
import type { SummaryProvider } from './provider.js';

const cache = new WeakMap<SummariesConfig, SummaryProvider>();

/** The configured provider, one per configuration (the OpenAI client keeps its connection pool). */
export function summaryProvider(config: SummariesConfig): SummaryProvider {
  let p = cache.get(config);
  if (!p) {
    p = config.provider === 'openai' ? new OpenAiProvider(config.openai!) : localProvider;
    cache.set(config, p);
  }
  return p;
}
