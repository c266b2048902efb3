import type { Episode, KnowledgeChunk } from '../contracts/memory';
import type { EpisodeDocument, KnowledgeDocument } from './documents';

/** A stored episode as it crosses the activity boundary: ISO times, no vector. */
export function toEpisode(document: EpisodeDocument): Episode {
  return {
    id: document._id,
    sessionId: document.sessionId,
    workflowId: document.workflowId,
    kind: document.kind,
    role: document.role,
    content: document.content,
    importance: document.importance,
    occurredAt: document.occurredAt.toISOString(),
    recordedAt: document.recordedAt.toISOString(),
    // A copy: the document may belong to a cached window shared with other calls.
    tags: [...document.tags],
  };
}

/** A stored knowledge entry as it crosses the activity boundary: ISO times, no vector. */
export function toKnowledgeChunk(document: Omit<KnowledgeDocument, 'embedding'>): KnowledgeChunk {
  return {
    id: document._id,
    namespace: document.namespace,
    kind: document.kind,
    text: document.text,
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
    ...(document.meta === undefined || document.meta === null ? {} : { meta: document.meta }),
  };
}
