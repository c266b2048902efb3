import { PLAIN_FIELDS, type FieldEncryption } from '../codec/field-encryption';
import type { Episode, KnowledgeChunk } from '../contracts/memory';
import { MemoryCollection } from './database';
import type { EpisodeDocument, KnowledgeDocument } from './documents';

/** Where a sealed memory field belongs (bound into its ciphertext). */
export function memoryFieldContext(collection: 'episodes' | 'knowledge', id: string, field: string): string {
  return `${MemoryCollection[collection]}/${id}/${field}`;
}

/** A stored episode as it crosses the activity boundary: ISO times, no vector. */
export function toEpisode(document: EpisodeDocument, fields: FieldEncryption = PLAIN_FIELDS): Episode {
  return {
    id: document._id,
    sessionId: document.sessionId,
    workflowId: document.workflowId,
    kind: document.kind,
    role: document.role,
    content: fields.openText(document.content, memoryFieldContext('episodes', document._id, 'content')),
    importance: document.importance,
    occurredAt: document.occurredAt.toISOString(),
    recordedAt: document.recordedAt.toISOString(),
    tags: document.tags,
  };
}

/** A stored knowledge entry as it crosses the activity boundary: ISO times, no vector. */
export function toKnowledgeChunk(
  document: Omit<KnowledgeDocument, 'embedding'>,
  fields: FieldEncryption = PLAIN_FIELDS,
): KnowledgeChunk {
  return {
    id: document._id,
    namespace: document.namespace,
    kind: document.kind,
    text: fields.openText(document.text, memoryFieldContext('knowledge', document._id, 'text')),
    source: document.source,
    tags: document.tags,
    createdAt: document.createdAt.toISOString(),
    documentId: document.documentId,
    chunkIndex: document.chunkIndex,
    contentHash: document.contentHash,
    embedder: { name: document.embedder.name, dimensions: document.embedder.dimensions },
    ...(document.sessionId === undefined || document.sessionId === null ? {} : { sessionId: document.sessionId }),
    ...(document.occurredAt === undefined || document.occurredAt === null
      ? {}
      : { occurredAt: document.occurredAt.toISOString() }),
    ...(document.meta === undefined || document.meta === null
      ? {}
      : { meta: fields.openJson(document.meta, memoryFieldContext('knowledge', document._id, 'meta')) }),
  };
}
