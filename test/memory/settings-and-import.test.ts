import { loadConfig } from '../../src/config/load-config';
import { createEmbedder } from '../../src/memory/embedders/create-embedder';
import { parseImportRecords } from '../../src/memory/import-records';
import { loadMemorySettings } from '../../src/config/memory-settings';

describe('createEmbedder', () => {
  it('uses the local hashed n-gram embedder without a key or base URL, OpenAI with one', () => {
    const offline = loadConfig({}, '/tmp');
    expect(createEmbedder(offline, loadMemorySettings({})).description).toEqual({
      name: 'hashed-ngram-v1',
      dimensions: 256,
    });
    const online = loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, '/tmp');
    expect(createEmbedder(online, loadMemorySettings({})).description).toEqual({
      name: 'openai:text-embedding-3-small',
      dimensions: 1536,
    });
    expect(
      createEmbedder(
        online,
        loadMemorySettings({ CHASSIS_EMBEDDER: 'hashed-ngram', CHASSIS_EMBEDDING_DIMENSIONS: '64' }),
      ).description,
    ).toEqual({
      name: 'hashed-ngram-v1',
      dimensions: 64,
    });
  });

  it('uses the offline MiniLM model when asked, and says what it needs without its folder', () => {
    const offline = loadConfig({}, '/tmp');
    const miniLm = createEmbedder(
      offline,
      loadMemorySettings({ CHASSIS_EMBEDDER: 'minilm', CHASSIS_MINILM_MODEL_DIR: '/models/minilm' }),
    );
    expect(miniLm.description).toEqual({ name: 'all-MiniLM-L6-v2', dimensions: 384 });
    // A trained model: its vectors are an equal partner of BM25 in hybrid search.
    expect(miniLm.similarity).toBe('semantic');
    expect(() => createEmbedder(offline, loadMemorySettings({ CHASSIS_EMBEDDER: 'minilm' }))).toThrow(
      /CHASSIS_EMBEDDER=minilm needs CHASSIS_MINILM_MODEL_DIR/,
    );
  });
});

describe('parseImportRecords', () => {
  it('reads one record per line, ids and sessions as strings', () => {
    const records = parseImportRecords(
      '{"id": 7, "text": "hello", "session": 3, "time": "2024-01-01T00:00:00Z", "meta": {"a": [1]}}\n\n{"text": "world"}\n',
    );
    expect(records).toEqual([
      { id: '7', text: 'hello', session: '3', time: '2024-01-01T00:00:00Z', meta: { a: [1] } },
      { text: 'world' },
    ]);
  });

  it('names the bad line', () => {
    expect(() => parseImportRecords('{"text": "ok"}\n{"id": "x"}')).toThrow(/line 2: text/);
    expect(() => parseImportRecords('{"text": "ok"}\nnot json')).toThrow(/line 2 is not JSON/);
  });
});
