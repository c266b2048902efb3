import type { ModelCallResult } from '../../contracts/activities';

/**
 * Why a model's output cannot be used as is, or undefined when it can. The cascade
 * escalates a small model's unusable output to a larger model.
 */
export function outputProblem(
  result: ModelCallResult,
  options: { offeredTools: string[]; expectJson?: (value: unknown) => string | undefined },
): string | undefined {
  const content = result.content?.trim() ?? '';
  if (result.toolCalls.length === 0 && content === '') return 'empty answer';
  for (const call of result.toolCalls) {
    if (!options.offeredTools.includes(call.name)) continue; // an unknown tool is the model's to correct
    try {
      const parsed: unknown = JSON.parse(call.arguments === '' ? '{}' : call.arguments);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return `arguments of ${call.name} are not a JSON object`;
      }
    } catch {
      return `malformed tool call: arguments of ${call.name} are not valid JSON`;
    }
  }
  if (options.expectJson !== undefined && result.toolCalls.length === 0) {
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      return 'the answer is not valid JSON';
    }
    const problem = options.expectJson(value);
    if (problem !== undefined) return `the JSON does not match the schema: ${problem}`;
  }
  return undefined;
}
