import { formatStartupSummary, type StartupSummary } from '../../src/workers/startup-summary';

const base: StartupSummary = {
  temporal: { address: '127.0.0.1:7233', namespace: 'default' },
  taskQueue: 'chassis-agent',
  workflows: ['agentTaskWorkflow', 'subtaskWorkflow'],
  tools: ['calculator', 'memory_search'],
  modelQueue: { name: 'chassis-agent-models', maxConcurrentCalls: 8 },
  models: { kind: 'offline', baseUrl: 'http://127.0.0.1:4010/v1' },
  memory: {
    server: '127.0.0.1:27017',
    database: 'chassis',
    embedder: { name: 'hashed-ngram-v1', dimensions: 256 },
    embeddingsCached: false,
    vectorSearch: 'auto',
    notes: ['vectors are stored as BSON float32 binary (subtype 9)'],
  },
};

describe('formatStartupSummary', () => {
  it('says what the worker serves, which model answers and how memory is set up', () => {
    expect(formatStartupSummary(base)).toEqual([
      'chassis worker',
      '  temporal  127.0.0.1:7233, namespace "default"',
      '  serves    task queue "chassis-agent": workflows agentTaskWorkflow, subtaskWorkflow; tool and memory activities',
      '            task queue "chassis-agent-models": model calls (at most 8 at once)',
      '  tools     calculator, memory_search',
      '  models    scripted offline model at http://127.0.0.1:4010/v1: a test double that only knows the demo goal, not a real model',
      '            set OPENAI_API_KEY (or OPENAI_BASE_URL) to use a real one',
      '  memory    MongoDB at 127.0.0.1:27017, database "chassis"; embedder hashed-ngram-v1 (256 dimensions); vector search auto',
      '            vectors are stored as BSON float32 binary (subtype 9)',
    ]);
  });

  it('names endpoints by the variable of their key, says when it is missing, and says when MongoDB does not answer', () => {
    const lines = formatStartupSummary({
      ...base,
      modelQueue: { name: 'q-models', maxConcurrentCalls: 4, callsPerSecond: 10 },
      models: {
        kind: 'endpoints',
        catalog: 'config/models.json (built in)',
        tiers: { small: ['gpt-4.1-mini'], large: ['gpt-4.1'] },
        endpoints: [
          { name: 'openai', location: 'https://api.openai.com/v1', keyVariable: 'OPENAI_API_KEY', keySet: true },
          { name: 'local', location: 'http://localhost:11434/v1', keySet: false },
          { name: 'other', location: 'https://other.example/v1', keyVariable: 'OTHER_KEY', keySet: false },
        ],
      },
      memory: { ...base.memory, embeddingsCached: true, notes: undefined, waiting: true },
    });
    expect(lines).toContain(
      '            task queue "q-models": model calls (at most 4 at once, 10 per second across workers)',
    );
    expect(lines).toContain('  models    routed by config/models.json (built in): small gpt-4.1-mini; large gpt-4.1');
    expect(lines).toContain('            endpoint openai: https://api.openai.com/v1, key from OPENAI_API_KEY');
    expect(lines).toContain('            endpoint local: http://localhost:11434/v1, no key');
    expect(lines).toContain(
      '            endpoint other: https://other.example/v1, key from OTHER_KEY (not set: its calls will fail)',
    );
    expect(lines.join('\n')).toContain('(256 dimensions, cached across retries)');
    expect(lines.at(-1)).toMatch(/MongoDB does not answer yet: tasks go on without recalled memory/);
  });

  it('names the pinned model instead of the tiers', () => {
    const lines = formatStartupSummary({
      ...base,
      models: { kind: 'endpoints', pinned: 'gpt-4.1-mini', catalog: 'my.json', tiers: {}, endpoints: [] },
    });
    expect(lines).toContain(
      '  models    gpt-4.1-mini for tasks the CLI starts (CHASSIS_MODEL; tasks that name no model are routed), from my.json',
    );
  });
});
