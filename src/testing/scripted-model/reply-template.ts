import type { ChatRequest } from './chat-request';
import { lastMessageWithRole, messageText, toolResultFor } from './chat-request';
import { ChassisError, markErrorClass } from '../../shared/chassis-error';

/**
 * Templates in scripted reply content:
 * - `{{lastUser}}`: content of the last user message;
 * - `{{lastToolResult}}`: content of the last tool message;
 * - `{{toolResult:NAME}}`: content of the tool message answering the last assistant call to NAME;
 * - `{{toolResult:NAME.FIELD.SUBFIELD}}`: one field of that content parsed as JSON (function
 *   names cannot contain dots, so the first dot ends the name). Tools such as `clock` answer
 *   with JSON, and a scripted answer reads better quoting one field than the whole object.
 */
const templatePattern = /\{\{\s*([^{}]*?)\s*\}\}/g;
const knownTemplatePattern = /^(lastUser|lastToolResult|toolResult:.+)$/;

/** A template in a reply has no value in this request; the rule fits the request badly. */
export class ReplyTemplateError extends ChassisError {
  override readonly name = 'ReplyTemplateError';
}

/** True for a {@link ReplyTemplateError} from any copy of this module. */
export const isReplyTemplateError = markErrorClass(ReplyTemplateError, 'ReplyTemplateError');

/** Template names in `text` that are not one of the known forms (checked when a script loads). */
export function unknownTemplates(text: string): string[] {
  return [...text.matchAll(templatePattern)]
    .map((found) => found[1] ?? '')
    .filter((name) => !knownTemplatePattern.test(name));
}

function templateValue(name: string, request: ChatRequest): string | undefined {
  if (name === 'lastUser') {
    const message = lastMessageWithRole(request, 'user');
    return message === undefined ? undefined : messageText(message);
  }
  if (name === 'lastToolResult') {
    const message = lastMessageWithRole(request, 'tool');
    return message === undefined ? undefined : messageText(message);
  }
  if (name.startsWith('toolResult:')) {
    const [toolName = '', ...fieldPath] = name.slice('toolResult:'.length).trim().split('.');
    const content = toolResultFor(request, toolName);
    return content === undefined || fieldPath.length === 0 ? content : jsonField(content, fieldPath);
  }
  return undefined;
}

/** A field of a JSON text, as text: strings as they are, other values as JSON; `undefined` when absent. */
function jsonField(content: string, fieldPath: readonly string[]): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return undefined;
  }
  for (const field of fieldPath) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, field)) return undefined;
    value = (value as Record<string, unknown>)[field];
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Fills the templates in `text` from the request.
 *
 * @throws {ReplyTemplateError} when a template has no value (no such tool result, no user
 *   message): an empty string would hide a script that does not fit the conversation.
 */
export function fillTemplates(text: string, request: ChatRequest): string {
  return text.replace(templatePattern, (whole: string, name: string) => {
    const value = templateValue(name, request);
    if (value === undefined) {
      throw new ReplyTemplateError(`template ${whole} has no value in this request`);
    }
    return value;
  });
}
