import { summarizeLocally } from '../local/index.js';
import type { SummaryProvider } from './provider.js';

/** Offline and deterministic (src/modules/summaries/local). */
export const localProvider: SummaryProvider = {
  name: 'local',
  model: null,
  async summarize(req) {
    return summarizeLocally({ title: req.title, content: req.content, source: req.source, language: req.language, style: req.style });
  },
};
