import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import { MemoryCollection } from './database';
import type { EpisodeDocument, KnowledgeDocument, StoredEpisodeDocument, StoredKnowledgeDocument } from './documents';

/**
 * Sealing and opening the memory fields that hold what users and models wrote, with the
 * payload keys (see `FieldEncryption`). Each sealed value is bound to its collection,
 * document id and field, so it cannot be moved to another document.
 */

function context(collection: keyof typeof MemoryCollection, id: string, field: string): string {
  return `${MemoryCollection[collection]}/${id}/${field}`;
}

/** An episode as it is to be stored. */
export function sealEpisode(document: EpisodeDocument, fields: FieldEncryption = PLAIN_FIELDS): StoredEpisodeDocument {
  return { ...document, content: fields.sealText(document.content, context('episodes', document._id, 'content')) };
}

/** A stored episode opened. */
export function openEpisode<T extends StoredEpisodeDocument>(
  document: T,
  fields: FieldEncryption = PLAIN_FIELDS,
): Omit<T, 'content'> & { content: string } {
  return { ...document, content: fields.openText(document.content, context('episodes', document._id, 'content')) };
}

/** A knowledge entry as it is to be stored. */
export function sealKnowledge(
  document: KnowledgeDocument,
  fields: FieldEncryption = PLAIN_FIELDS,
): StoredKnowledgeDocument {
  const at = (field: string) => context('knowledge', document._id, field);
  const { meta, context: neighbours, ...rest } = document;
  return {
    ...rest,
    text: fields.sealText(document.text, at('text')),
    ...(meta === undefined || meta === null ? {} : { meta: fields.sealJson(meta, at('meta')) }),
    ...(neighbours === undefined || neighbours === null ? {} : { context: fields.sealJson(neighbours, at('context')) }),
  };
}

/** A stored knowledge entry opened (with or without its vector, as the read projected it). */
export function openKnowledge<T extends Omit<StoredKnowledgeDocument, 'embedding'>>(
  document: T,
  fields: FieldEncryption = PLAIN_FIELDS,
): Omit<T, 'text' | 'meta' | 'context'> & Pick<KnowledgeDocument, 'text' | 'meta' | 'context'> {
  const at = (field: string) => context('knowledge', document._id, field);
  const { meta, context: neighbours, ...rest } = document;
  return {
    ...rest,
    text: fields.openText(document.text, at('text')),
    ...(meta === undefined || meta === null ? {} : { meta: fields.openJson(meta, at('meta')) }),
    ...(neighbours === undefined || neighbours === null ? {} : { context: fields.openJson(neighbours, at('context')) }),
  } as Omit<T, 'text' | 'meta' | 'context'> & Pick<KnowledgeDocument, 'text' | 'meta' | 'context'>;
}
