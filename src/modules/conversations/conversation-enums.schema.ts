// The enums of conversations, also used by summaries and exports (ProcessingStatus). A leaf among the
// schema files.
import { ConversationSource, ProcessingStatus } from '../../generated/prisma/enums.js';
import { builder } from '../../graphql/builder.js';

export const ConversationSourceEnum = builder.enumType(ConversationSource, {
  name: 'ConversationSource',
  description: 'Where a conversation came from.',
});

export const ProcessingStatusEnum = builder.enumType(ProcessingStatus, {
  name: 'ProcessingStatus',
  description: 'State of the summary pipeline for a conversation or a summary.',
});
