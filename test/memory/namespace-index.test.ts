import type { KnowledgeKind } from '../../src/contracts/memory';
import { contentHash } from '../../src/memory/dedupe';
import { NamespaceIndex, documentIdOfEntry, type IndexableDocument } from '../../src/memory/namespace-index';
import { dot, normalizeInPlace } from '../../src/memory/vectors';

const EMBEDDER = { name: 'test-embedder', dimensions: 64 };

/** mulberry32: the same pseudo-random vectors on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function randomUnitVector(random: () => number, dimensions = EMBEDDER.dimensions): Float32Array {
  return normalizeInPlace(Float32Array.from({ length: dimensions }, () => random() * 2 - 1));
}

function document(id: string, text: string, fields: Partial<IndexableDocument> = {}): IndexableDocument {
  const kind: KnowledgeKind = fields.kind ?? 'chunk';
  return {
    _id: kind === 'chunk' ? `ns/${id}#0` : `ns/fact/${contentHash(text)}`,
    namespace: 'ns',
    kind,
    text,
    source: 'test',
    tags: [],
    createdAt: new Date('2024-01-02T03:04:05.000Z'),
    documentId: id,
    chunkIndex: 0,
    contentHash: contentHash(text),
    embedder: EMBEDDER,
    ...fields,
  };
}

describe('NamespaceIndex', () => {
  it('ranks by cosine within the quantization error and returns the entries as stored', () => {
    const random = seeded(7);
    const index = new NamespaceIndex('ns', EMBEDDER, 'generation', 0);
    const vectors = Array.from({ length: 2000 }, () => randomUnitVector(random));
    vectors.forEach((vector, position) => index.upsert(document(`d${position}`, `text ${position}`), vector));
    const query = randomUnitVector(random);
    const exact = vectors
      .map((vector, position) => ({ position, score: dot(vector, query) }))
      .sort((left, right) => right.score - left.score);
    const found = index.nearest(query, 10);
    for (const item of found) {
      expect(Math.abs(item.score - dot(vectors[item.position]!, query))).toBeLessThan(0.003);
    }
    // The true best ten are found, give or take a near tie at the border.
    const overlap = found.filter((item) => exact.slice(0, 12).some((best) => best.position === item.position));
    expect(overlap.length).toBeGreaterThanOrEqual(9);
    expect(index.entryAt(found[0]!.position)).toMatchObject({
      id: `ns/d${found[0]!.position}#0`,
      documentId: `d${found[0]!.position}`,
      text: `text ${found[0]!.position}`,
      createdAt: '2024-01-02T03:04:05.000Z',
      embedder: EMBEDDER,
    });
  });

  it('materializes optional fields, filters by kind and tags, and finds ids by content hash', () => {
    const random = seeded(1);
    const index = new NamespaceIndex('ns', EMBEDDER, 'generation', 0);
    index.upsert(
      document('turn', 'We adopted a greyhound.', {
        sessionId: 's1',
        occurredAt: new Date('2023-05-08T13:56:00Z'),
        meta: { speaker: 'Ana' },
        tags: ['pets', 'home'],
      }),
      randomUnitVector(random),
    );
    index.upsert(document('fact', 'Ana has a greyhound.', { kind: 'fact' }), randomUnitVector(random));
    expect(index.entryAt(0)).toMatchObject({
      sessionId: 's1',
      occurredAt: '2023-05-08T13:56:00.000Z',
      meta: { speaker: 'Ana' },
      tags: ['pets', 'home'],
    });
    expect(index.entryAt(1)).toMatchObject({ kind: 'fact', documentId: contentHash('Ana has a greyhound.') });
    expect(index.entryAt(1)).not.toHaveProperty('sessionId');
    expect(index.count({ kinds: ['fact'] })).toBe(1);
    expect(index.count({ tags: ['home', 'pets'] })).toBe(1);
    expect(index.count({ tags: ['cats'] })).toBe(0);
    expect(index.lexicalSearch('greyhound', 10, { kinds: ['chunk'] }).map((item) => item.position)).toEqual([0]);
    expect(index.findIdByHash(contentHash('we adopted a GREYHOUND.'))).toBe('ns/turn#0');
    expect(index.contentHashOf('ns/turn#0')).toBe(contentHash('We adopted a greyhound.'));
  });

  it('keeps finding a repeated text after the entry that first carried it is removed', () => {
    const random = seeded(2);
    const index = new NamespaceIndex('ns', EMBEDDER, 'generation', 0);
    index.upsert(document('a', 'Thanks, see you soon!'), randomUnitVector(random));
    index.upsert(document('b', 'Thanks, see you soon!'), randomUnitVector(random));
    index.remove('ns/a#0');
    expect(index.size).toBe(1);
    expect(index.findIdByHash(contentHash('Thanks, see you soon!'))).toBe('ns/b#0');
    expect(index.entryAt(0)).toBeUndefined();
    expect(index.lexicalSearch('thanks', 10).map((item) => item.position)).toEqual([1]);
    index.removeMany(['ns/b#0', 'ns/unknown#0']);
    expect(index.findIdByHash(contentHash('Thanks, see you soon!'))).toBeUndefined();
    expect(index.size).toBe(0);
  });

  it('searches the same after compaction and grows again after it', () => {
    const random = seeded(3);
    const index = new NamespaceIndex('ns', EMBEDDER, 'generation', 0);
    for (let position = 0; position < 1500; position += 1) {
      index.upsert(document(`d${position}`, `note ${position} about topic ${position % 7}`), randomUnitVector(random));
    }
    const query = randomUnitVector(random);
    const before = { vector: index.nearest(query, 5), lexical: index.lexicalSearch('topic 3', 5) };
    index.compact();
    expect(index.nearest(query, 5)).toEqual(before.vector);
    expect(index.lexicalSearch('topic 3', 5)).toEqual(before.lexical);
    index.upsert(document('late', 'a late note about kittens'), randomUnitVector(random));
    expect(index.lexicalSearch('kittens', 5).map((item) => index.idAt(item.position))).toEqual(['ns/late#0']);
    expect(index.size).toBe(1501);
  });

  it('reads the document id out of chunk and fact ids', () => {
    expect(documentIdOfEntry('ns', 'ns/conv-26/D1:3#0', 'chunk')).toBe('conv-26/D1:3');
    expect(documentIdOfEntry('ns', 'ns/a#b#12', 'chunk')).toBe('a#b');
    expect(documentIdOfEntry('ns', 'ns/fact/abc123', 'fact')).toBe('abc123');
  });
});
