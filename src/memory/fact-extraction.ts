import { z } from 'zod';
import type { ExtractFactsInput, ExtractFactsResult, ExtractedFact, FactCategory } from '../contracts/memory';
import { contentHash } from './dedupe';
import type { KnowledgeStore } from './knowledge-store';
import { MemoryInputError, ModelOutputError } from './memory-errors';
import type { ChatCompleter } from './model-port';
import { memoryUsage } from './summarization';
import { transcriptText } from './transcript';

/** The extractor's instructions; scripted tests match on its first words. */
export const FACT_EXTRACTOR_SYSTEM_PROMPT = [
  "You extract durable facts from an AI agent's conversation for its long-term memory.",
  'A durable fact stays true and useful in later sessions: a preference the user stated, a decision taken,',
  'a result obtained, a stable fact about the user, their projects or their environment.',
  'Skip small talk, transient states and anything only true for this moment. Write each fact as one',
  'self-contained sentence that names its subject ("The user prefers ...", not "They prefer ...").',
  'If there is nothing durable, return an empty list.',
].join(' ');

const categories = ['preference', 'decision', 'result', 'fact'] as const satisfies readonly FactCategory[];

/** The answer the extractor must give. */
export const extractedFactsSchema = z.object({
  facts: z
    .array(
      z.object({
        text: z.string().trim().min(3).max(500),
        category: z.enum(categories),
      }),
    )
    .max(50),
});

/** The same schema as JSON Schema, for structured output (strict mode: every property required, no extras). */
export const EXTRACTED_FACTS_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  required: ['facts'],
  properties: {
    facts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['text', 'category'],
        properties: { text: { type: 'string' }, category: { type: 'string', enum: [...categories] } },
      },
    },
  },
};

/**
 * Parses the extractor's answer. Tolerates what models add around JSON when they cannot
 * take a schema (code fences, a sentence before it) by reading the outermost object.
 *
 * @throws {ModelOutputError} when no valid facts object can be read.
 */
export function parseExtractedFacts(content: string | null): Array<{ text: string; category: FactCategory }> {
  const text = (content ?? '').trim();
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end < start)
    throw new ModelOutputError(`expected a JSON object with "facts", got: ${text.slice(0, 200)}`);
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new ModelOutputError(
      `the facts answer is not valid JSON (${(error as Error).message}): ${text.slice(0, 200)}`,
    );
  }
  const parsed = extractedFactsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelOutputError(
      `the facts answer does not match the schema: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    );
  }
  return parsed.data.facts;
}

/**
 * Asks a small model for the durable facts in a conversation, then saves each one to
 * semantic memory unless an equal or nearly equal fact is stored (the same fact said
 * twice in the answer is saved once). Idempotent enough for retries: facts saved by an
 * earlier attempt are found as duplicates.
 */
export async function extractFacts(
  models: ChatCompleter,
  store: KnowledgeStore,
  input: ExtractFactsInput,
  options: { signal?: AbortSignal } = {},
): Promise<ExtractFactsResult> {
  if (input.messages.length === 0) throw new MemoryInputError('no messages to extract facts from');
  const maxFacts = input.maxFacts ?? 10;
  const result = await models.complete(
    {
      model: input.model,
      purpose: 'extract facts',
      temperature: 0,
      responseFormat: { name: 'facts', schema: EXTRACTED_FACTS_JSON_SCHEMA },
      messages: [
        { role: 'system', content: FACT_EXTRACTOR_SYSTEM_PROMPT },
        {
          role: 'user',
          content: `Extract at most ${maxFacts} durable facts from this conversation. Answer with JSON: {"facts": [{"text": "...", "category": "preference|decision|result|fact"}]}.\n\n<<<\n${transcriptText(input.messages)}\n>>>`,
        },
      ],
    },
    { signal: options.signal },
  );
  const seen = new Set<string>();
  const unique = parseExtractedFacts(result.content)
    .filter((fact) => {
      const hash = contentHash(fact.text);
      if (seen.has(hash)) return false;
      seen.add(hash);
      return true;
    })
    .slice(0, maxFacts);
  const facts: ExtractedFact[] = [];
  // One at a time: each saved fact is a near-duplicate candidate for the next.
  for (const fact of unique) {
    const saved = await store.saveFact(
      {
        namespace: input.namespace,
        text: fact.text,
        source: input.source,
        tags: input.tags,
        nearDuplicateThreshold: input.nearDuplicateThreshold,
        meta: { category: fact.category },
      },
      options,
    );
    facts.push({
      text: fact.text,
      category: fact.category,
      id: saved.id,
      stored: saved.stored,
      ...(saved.duplicateOf === undefined ? {} : { duplicateOf: saved.duplicateOf }),
      ...(saved.similarity === undefined ? {} : { similarity: saved.similarity }),
    });
  }
  return { facts, usage: memoryUsage(result) };
}
