import type { ChatMessage } from '../contracts/messages';

/** Longest tool output quoted in a transcript; summaries need the gist, not whole documents. */
const TOOL_OUTPUT_LIMIT = 2000;

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)} … [${text.length - limit} more characters]`;
}

/** Chat messages as a plain transcript for a summarizing or extracting model. */
export function transcriptText(messages: readonly ChatMessage[]): string {
  return messages
    .map((message) => {
      switch (message.role) {
        case 'assistant': {
          const calls = (message.toolCalls ?? []).map((call) => `[calls ${call.name}(${clip(call.arguments, 500)})]`);
          return `assistant: ${[message.content ?? '', ...calls].filter((part) => part !== '').join(' ')}`;
        }
        case 'tool':
          return `tool result: ${clip(message.content, TOOL_OUTPUT_LIMIT)}`;
        default:
          return `${message.role}: ${message.content}`;
      }
    })
    .join('\n');
}
