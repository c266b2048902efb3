import { readFileSync } from 'node:fs';
import { eng as englishStopwords } from 'stopword';

/**
 * LoCoMo (Maharana et al., ACL 2024) as a retrieval benchmark: long multi-session
 * conversations whose questions name their evidence turns. Every turn becomes one memory
 * (id `<sample_id>/<dia_id>`); every question with evidence (category 5, adversarial, left
 * out) is asked in its conversation's namespace; recall@k is the share of a question's
 * evidence turns in the top k, averaged over questions.
 */

/** One turn as an import record (the JSONL line `chassis memory import` takes). */
export interface LocomoRecord {
  id: string;
  text: string;
  session: string;
  time?: string;
  meta: Record<string, string>;
}

/** One question with its evidence turn ids. */
export interface LocomoQuestion {
  id: string;
  query: string;
  category: number;
  evidence: string[];
}

/** One conversation: its turns in order and its questions. */
export interface LocomoConversation {
  sampleId: string;
  records: LocomoRecord[];
  questions: LocomoQuestion[];
}

/** Question categories as the LoCoMo paper names them. */
export const CATEGORY_NAMES: Readonly<Record<number, string>> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** "1:56 pm on 8 May, 2023" → ISO 8601 (UTC); undefined when the text is not in that form. */
export function parseLocomoDate(text: string): string | undefined {
  const match = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(text);
  if (match === null) return undefined;
  const month = MONTHS.indexOf((match[5] as string).toLowerCase());
  if (month < 0) return undefined;
  const hour = (Number(match[1]) % 12) + ((match[3] as string).toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Date.UTC(Number(match[6]), month, Number(match[4]), hour, Number(match[2]))).toISOString();
}

interface RawTurn {
  speaker?: unknown;
  dia_id?: unknown;
  text?: unknown;
  blip_caption?: unknown;
}

/**
 * Reads a LoCoMo-format file (a list of `{sample_id, conversation, qa}`).
 *
 * @throws naming the file and what is wrong when it is not in that form.
 */
export function loadLocomo(file: string): LocomoConversation[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read LoCoMo data from ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`${file} is not LoCoMo data: expected a list of conversations`);
  return data.map((sample: Record<string, unknown>, position) => {
    const sampleId = typeof sample.sample_id === 'string' ? sample.sample_id : `sample-${position}`;
    const conversation = sample.conversation as Record<string, unknown> | undefined;
    if (conversation === undefined || !Array.isArray(sample.qa)) {
      throw new Error(`${file}: conversation ${sampleId} has no "conversation" or "qa"`);
    }
    const sessions = Object.keys(conversation)
      .filter((key) => /^session_\d+$/.test(key))
      .sort((left, right) => Number(left.split('_')[1]) - Number(right.split('_')[1]));
    const records: LocomoRecord[] = [];
    for (const session of sessions) {
      const dateText = conversation[`${session}_date_time`];
      const time = typeof dateText === 'string' ? parseLocomoDate(dateText) : undefined;
      for (const turn of conversation[session] as RawTurn[]) {
        if (typeof turn.text !== 'string' || typeof turn.dia_id !== 'string' || turn.text.trim() === '') continue;
        const meta: Record<string, string> = {};
        if (typeof turn.speaker === 'string') meta.speaker = turn.speaker;
        // A shared photo is part of what was said; its caption is the only trace of it.
        if (typeof turn.blip_caption === 'string') meta.photo = turn.blip_caption;
        records.push({
          id: `${sampleId}/${turn.dia_id}`,
          text: turn.text,
          session: `${sampleId}/${session}`,
          ...(time === undefined ? {} : { time }),
          meta,
        });
      }
    }
    const questions: LocomoQuestion[] = [];
    (sample.qa as Array<Record<string, unknown>>).forEach((qa, index) => {
      const evidence = Array.isArray(qa.evidence) ? qa.evidence.filter((item) => typeof item === 'string') : [];
      if (qa.category === 5 || evidence.length === 0 || typeof qa.question !== 'string') return;
      questions.push({
        id: `${sampleId}/q${index}`,
        query: qa.question,
        category: Number(qa.category),
        evidence: evidence.map((item) => `${sampleId}/${item}`),
      });
    });
    return { sampleId, records, questions };
  });
}

/** Recall at several depths and hit@10 for one question, from the ranked ids. */
export function scoreQuestion(
  ranked: readonly string[],
  evidence: readonly string[],
): { recallAt5: number; recallAt10: number; recallAt25: number; hitAt10: number } {
  const recallAt = (depth: number) => {
    const top = new Set(ranked.slice(0, depth));
    return evidence.filter((id) => top.has(id)).length / evidence.length;
  };
  const recallAt10 = recallAt(10);
  return { recallAt5: recallAt(5), recallAt10, recallAt25: recallAt(25), hitAt10: recallAt10 > 0 ? 1 : 0 };
}

const STOPWORDS = new Set(englishStopwords);

function plainTokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((word) => !STOPWORDS.has(word));
}

/**
 * The reference: plain BM25 (k1 1.2, b 0.75) over the raw turn texts, lower-cased words
 * without English stop words, no stemming, no context; or, with `neighbours`, each turn
 * joined with the turns just before and after it in its session. Written here, apart from
 * the project's search code, so the comparison does not share its mistakes.
 */
export function plainBm25Rankings(
  records: readonly LocomoRecord[],
  queries: readonly string[],
  options: { neighbours?: boolean } = {},
): string[][] {
  const documents = records.map((record, position) => {
    const parts = [record.text];
    if (options.neighbours === true) {
      const before = records[position - 1];
      const after = records[position + 1];
      if (before?.session === record.session) parts.unshift(before.text);
      if (after?.session === record.session) parts.push(after.text);
    }
    const frequencies = new Map<string, number>();
    const tokens = plainTokens(parts.join(' '));
    for (const token of tokens) frequencies.set(token, (frequencies.get(token) ?? 0) + 1);
    return { frequencies, length: tokens.length };
  });
  const count = documents.length;
  const averageLength = documents.reduce((sum, document) => sum + document.length, 0) / count || 1;
  const documentFrequency = new Map<string, number>();
  for (const document of documents) {
    for (const token of document.frequencies.keys())
      documentFrequency.set(token, (documentFrequency.get(token) ?? 0) + 1);
  }
  return queries.map((query) => {
    const scores = new Float64Array(count);
    for (const token of new Set(plainTokens(query))) {
      const frequency = documentFrequency.get(token);
      if (frequency === undefined) continue;
      const idf = Math.log(1 + (count - frequency + 0.5) / (frequency + 0.5));
      documents.forEach((document, position) => {
        const termFrequency = document.frequencies.get(token);
        if (termFrequency === undefined) return;
        scores[position] =
          (scores[position] as number) +
          (idf * termFrequency * 2.2) / (termFrequency + 1.2 * (0.25 + (0.75 * document.length) / averageLength));
      });
    }
    return [...scores.keys()]
      .filter((position) => (scores[position] as number) > 0)
      .sort((left, right) => (scores[right] as number) - (scores[left] as number) || left - right)
      .slice(0, 25)
      .map((position) => (records[position] as LocomoRecord).id);
  });
}
