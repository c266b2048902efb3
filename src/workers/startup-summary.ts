import type { EmbedderDescription } from '../contracts/memory';

/** What a worker process serves and uses, for the block it prints at start. */
export interface StartupSummary {
  /** `security`: how the connection is secured (`TLS, API key`), shown when not plain text. */
  temporal: { address: string; namespace: string; security?: string };
  /** The workflow and tool task queue. */
  taskQueue: string;
  workflows: readonly string[];
  tools: readonly string[];
  modelQueue: { name: string; maxConcurrentCalls: number; callsPerSecond?: number };
  models:
    | { kind: 'offline'; baseUrl: string }
    | {
        kind: 'endpoints';
        /** `CHASSIS_MODEL`, when every call goes to one model. */
        pinned?: string;
        /** Where the catalog came from. */
        catalog: string;
        tiers: Readonly<Record<string, readonly string[]>>;
        endpoints: readonly { name: string; location: string; keyVariable?: string; keySet: boolean }[];
      };
  /** Worker versioning, tracing and metrics, when any is on (one line each). */
  operations?: readonly string[];
  memory: {
    /** MongoDB hosts, without credentials. */
    server: string;
    database: string;
    embedder: EmbedderDescription;
    /** True when embeddings are cached in the process across retries. */
    embeddingsCached: boolean;
    vectorSearch: string;
    /** What the server supports, once it answered. */
    notes?: readonly string[];
    /** True while MongoDB has not answered yet (the reason is printed on its own line). */
    waiting?: boolean;
  };
}

const INDENT = '            ';

function row(label: string, first: string, ...more: string[]): string[] {
  return [`  ${label.padEnd(INDENT.length - 2)}${first}`, ...more.map((line) => `${INDENT}${line}`)];
}

function modelLines(summary: StartupSummary): string[] {
  const models = summary.models;
  if (models.kind === 'offline') {
    return row(
      'models',
      `scripted offline model at ${models.baseUrl}: a test double that only knows the demo goal, not a real model`,
      'set OPENAI_API_KEY (or OPENAI_BASE_URL) to use a real one',
    );
  }
  const choice =
    models.pinned !== undefined
      ? `${models.pinned} for tasks the CLI starts (CHASSIS_MODEL; tasks that name no model are routed), from ${models.catalog}`
      : `routed by ${models.catalog}: ${Object.entries(models.tiers)
          .map(([tier, ids]) => `${tier} ${ids.join(', ')}`)
          .join('; ')}`;
  const endpoints = models.endpoints.map((endpoint) => {
    const key =
      endpoint.keyVariable === undefined
        ? 'no key'
        : `key from ${endpoint.keyVariable}${endpoint.keySet ? '' : ' (not set: its calls will fail)'}`;
    return `endpoint ${endpoint.name}: ${endpoint.location}, ${key}`;
  });
  return row('models', choice, ...endpoints);
}

function memoryLines(summary: StartupSummary): string[] {
  const memory = summary.memory;
  const embedder = `embedder ${memory.embedder.name} (${memory.embedder.dimensions} dimensions${memory.embeddingsCached ? ', cached across retries' : ''})`;
  const status =
    memory.waiting === true
      ? ['MongoDB does not answer yet: tasks go on without recalled memory, and memory writes wait until it answers']
      : [...(memory.notes ?? [])];
  return row(
    'memory',
    `MongoDB at ${memory.server}, database "${memory.database}"; ${embedder}; vector search ${memory.vectorSearch}`,
    ...status,
  );
}

/**
 * The block a worker prints once at start: what it serves (task queues, workflows, tools),
 * which models it calls and how memory is set up. No secrets: endpoints are named with
 * the variable their key comes from, never the key.
 */
export function formatStartupSummary(summary: StartupSummary): string[] {
  const modelQueue = summary.modelQueue;
  const modelLimits = [
    `at most ${modelQueue.maxConcurrentCalls} at once`,
    ...(modelQueue.callsPerSecond === undefined ? [] : [`${modelQueue.callsPerSecond} per second across workers`]),
  ].join(', ');
  return [
    'chassis worker',
    ...row(
      'temporal',
      `${summary.temporal.address}, namespace "${summary.temporal.namespace}"${summary.temporal.security === undefined ? '' : `, ${summary.temporal.security}`}`,
    ),
    ...row(
      'serves',
      `task queue "${summary.taskQueue}": workflows ${summary.workflows.join(', ')}; tool and memory activities`,
      `task queue "${modelQueue.name}": model calls (${modelLimits})`,
    ),
    ...row('tools', summary.tools.length === 0 ? '(none)' : summary.tools.join(', ')),
    ...modelLines(summary),
    ...memoryLines(summary),
    ...(summary.operations === undefined || summary.operations.length === 0
      ? []
      : row('ops', ...(summary.operations as [string, ...string[]]))),
  ];
}
