import { loadMemorySettings } from '../../src/config/memory-settings';

describe('loadMemorySettings', () => {
  it('has defaults that work offline', () => {
    expect(loadMemorySettings({})).toEqual({
      vectorSearch: 'auto',
      embedder: 'auto',
      embeddingModel: 'text-embedding-3-small',
      embeddingDimensions: undefined,
      namespace: 'default',
      context: { share: 0.5, maxTokens: undefined },
    });
  });

  it('names every bad variable', () => {
    expect(() => loadMemorySettings({ CHASSIS_VECTOR_SEARCH: 'fast', CHASSIS_CONTEXT_SHARE: '2' })).toThrow(
      /CHASSIS_VECTOR_SEARCH is invalid: "fast".*CHASSIS_CONTEXT_SHARE is invalid: "2"/,
    );
  });
});
