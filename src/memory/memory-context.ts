import type { JsonValue } from '../contracts/memory';
import type { WeightedText } from './lexical';

/**
 * What a memory is indexed with besides its own words. A conversational turn rarely names
 * its topic by itself ("Yes, twice last month!"): the turns around it, who said it and when
 * it was said do. So each memory is indexed with
 *
 * - its neighbours: the turns just before and after it in the same session, weighted down
 *   with distance, so they make it findable without outranking a memory that says it;
 * - its date, as words ("8 May 2023"), so "in May 2023" can match the turns of that time;
 * - short metadata strings such as the speaker.
 *
 * Only the memory's own text is returned by searches; the context exists in the index.
 */

/** One neighbouring text, `distance` turns away (1 = adjacent). */
export interface ContextNeighbour {
  text: string;
  distance: number;
}

/** Turns on each side taken as context at import. */
export const CONTEXT_RADIUS = 2;

/**
 * Weight of a neighbour's words relative to the memory's own: halved with each step away
 * (0.5 adjacent, 0.25 two away), the usual geometric decay of context windows.
 */
export function neighbourWeight(distance: number): number {
  return 0.5 ** distance;
}

/** Weight of the date and metadata words: context, like an adjacent turn. */
export const DESCRIPTION_WEIGHT = 0.5;

/** Metadata strings longer than this are content, not labels, and are not indexed. */
const MAX_META_LABEL = 80;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "8 May 2023" (UTC): the words a question about that time would use. */
export function dateWords(time: Date): string {
  return `${time.getUTCDate()} ${MONTHS[time.getUTCMonth()]} ${time.getUTCFullYear()}`;
}

/** Short string values of the metadata (speaker, channel, author…), one level deep. */
export function metadataLabels(meta: Readonly<Record<string, JsonValue>> | undefined): string[] {
  if (meta === undefined) return [];
  const labels: string[] = [];
  for (const value of Object.values(meta)) {
    if (typeof value === 'string' && value.length <= MAX_META_LABEL) labels.push(value);
  }
  return labels;
}

/**
 * The text a memory's vector is made from: its own text, then its adjacent turns. A turn
 * embedded alone ("Yes, twice!") is close to nothing; with the turns around it, it is
 * close to what it is about (on LoCoMo this raises the hashed embedder's recall@10 from
 * 0.26 to 0.37). Only adjacent turns: further ones would blur its own meaning.
 */
export function contextualText(text: string, context: readonly ContextNeighbour[] | undefined): string {
  const adjacent = (context ?? []).filter((neighbour) => neighbour.distance === 1).map((neighbour) => neighbour.text);
  return adjacent.length === 0 ? text : [text, ...adjacent].join('\n');
}

/** A memory as the index sees it. */
export interface ContextualMemory {
  text: string;
  context?: readonly ContextNeighbour[];
  occurredAt?: Date;
  meta?: Readonly<Record<string, JsonValue>>;
}

/** The weighted fields BM25 indexes for one memory: its text (weight 1), then its context. */
export function indexedFields(memory: ContextualMemory): WeightedText[] {
  const fields: WeightedText[] = [{ text: memory.text, weight: 1 }];
  for (const neighbour of memory.context ?? []) {
    fields.push({ text: neighbour.text, weight: neighbourWeight(neighbour.distance) });
  }
  const description = [
    ...(memory.occurredAt === undefined ? [] : [dateWords(memory.occurredAt)]),
    ...metadataLabels(memory.meta),
  ];
  if (description.length > 0) fields.push({ text: description.join(' '), weight: DESCRIPTION_WEIGHT });
  return fields;
}

/**
 * The neighbours of each item of an ordered sequence within its session: items with the
 * same session key, in sequence order, up to `radius` on each side. Items without a
 * session have no neighbours (their order says nothing).
 */
export function sessionNeighbours<Item>(
  items: readonly Item[],
  sessionOf: (item: Item) => string | undefined,
  textOf: (item: Item) => string,
  radius = CONTEXT_RADIUS,
): ContextNeighbour[][] {
  const bySession = new Map<string, number[]>();
  items.forEach((item, index) => {
    const session = sessionOf(item);
    if (session === undefined) return;
    let members = bySession.get(session);
    if (members === undefined) {
      members = [];
      bySession.set(session, members);
    }
    members.push(index);
  });
  const neighbours: ContextNeighbour[][] = items.map(() => []);
  for (const members of bySession.values()) {
    members.forEach((index, rank) => {
      const own = neighbours[index] as ContextNeighbour[];
      for (let distance = 1; distance <= radius; distance += 1) {
        for (const other of [members[rank - distance], members[rank + distance]]) {
          if (other !== undefined) own.push({ text: textOf(items[other] as Item), distance });
        }
      }
    });
  }
  return neighbours;
}
