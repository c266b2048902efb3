import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ActivityDependencies } from '../activities';
import { ModelCatalog } from '../models/catalog';
import { ModelGateway } from '../models/model-gateway';
import { builtInTools } from '../tools/builtin';
import { ToolRegistry } from '../tools/registry';
import type { BundleOptions } from '../workers/bundle-workflows';
import { startScriptedModelServer, type ModelScriptInput, type ScriptedModelServer } from './scripted-model';
import { bundleWorkflows, startTestStack, type TestStack, type TestStackOptions } from './temporal-harness';
import { openTestDatabase, type TestDatabase } from './test-database';

/**
 * The one way tests and benchmarks stand up the real stack with a scripted model: the
 * workflow bundle, the scripted OpenAI-compatible server (a test double for the provider,
 * never a model) and workers on the real Temporal dev server, all stopped by one `close()`.
 * Nothing here mocks Temporal or MongoDB.
 */

/** A script whose only rule never matches: tests set their own with `setScript`, and a stray call fails loudly. */
export const NOTHING_MATCHES: ModelScriptInput = {
  rules: [{ name: 'nothing-matches', match: { callNumber: 1_000_000 }, reply: { content: '' } }],
};

/** Starts the scripted model server (a test double for the provider) without logging script misses. */
export function startQuietScriptedModel(script: ModelScriptInput = NOTHING_MATCHES): Promise<ScriptedModelServer> {
  return startScriptedModelServer({ script, log: () => undefined });
}

/** A model gateway whose every model is answered by `model`, priced by `catalog`. */
export function scriptedGateway(
  model: ScriptedModelServer,
  timeoutMs = 10_000,
  catalog: ModelCatalog = new ModelCatalog(),
): ModelGateway {
  return new ModelGateway({ catalog, timeoutMs, singleEndpoint: { baseUrl: model.baseURL } });
}

/** Options of {@link startScriptedRig}. */
export interface ScriptedRigOptions {
  /** The scripted model's first script, or a function that reads it (a script file). @default {@link NOTHING_MATCHES} */
  script?: ModelScriptInput | (() => ModelScriptInput | Promise<ModelScriptInput>);
  /** Where the scripted model reports script misses. @default nowhere (a miss still answers HTTP 400) */
  log?: (line: string) => void;
  /** A bundle built already, or what to bundle with the workflows. @default `bundleWorkflows()` */
  bundle?: WorkflowBundleWithSourceMap | BundleOptions;
  /**
   * Also open a throw-away database `chassis_test_<label>_…` on the MongoDB-wire server
   * (`MONGODB_URI`), dropped by `close()`. @default none
   */
  database?: string;
}

/** Options of {@link ScriptedRig.startStack}: those of `startTestStack` with defaults for the dependencies. */
export interface ScriptedStackOptions extends Omit<TestStackOptions, 'bundle' | 'dependencies'> {
  /**
   * The activities' dependencies. @default `models`: {@link ScriptedRig.gateway}; `tools`:
   * the built-in tools; nothing else (memory unavailable, no caches)
   */
  dependencies?: Partial<ActivityDependencies>;
}

/** A bundle, a scripted model server and the workers started on them; see {@link startScriptedRig}. */
export interface ScriptedRig {
  bundle: WorkflowBundleWithSourceMap;
  model: ScriptedModelServer;
  /** Set when the rig was started with `database`. */
  database?: TestDatabase;
  /** A gateway whose every model is answered by {@link model}. @default 10 s per request, the built-in catalog */
  gateway(options?: { timeoutMs?: number; catalog?: ModelCatalog }): ModelGateway;
  /** Starts workers on a fresh task queue (or `taskQueue`); stopped by {@link stopStacks} or {@link close}. */
  startStack(options?: ScriptedStackOptions): Promise<TestStack>;
  /** Stops every stack started so far (each once, also when a test already stopped it). */
  stopStacks(): Promise<void>;
  /** Stops the stacks, closes the model server and drops the database. */
  close(): Promise<void>;
}

function isBundle(
  value: WorkflowBundleWithSourceMap | BundleOptions | undefined,
): value is WorkflowBundleWithSourceMap {
  return typeof value === 'object' && value !== null && 'code' in value;
}

/** A stack whose `stop()` runs once, however often it is called. */
function stopOnce(stack: TestStack): TestStack {
  let stopping: Promise<void> | undefined;
  return { ...stack, stop: () => (stopping ??= stack.stop()) };
}

/**
 * Bundles the workflows, starts the scripted model server (and opens a test database when
 * asked); workers come from {@link ScriptedRig.startStack}. Integration tests get it through
 * `useScriptedStack` (`test/support/scripted-stack.ts`), benchmarks and scripts directly.
 */
export async function startScriptedRig(options: ScriptedRigOptions = {}): Promise<ScriptedRig> {
  const bundle = isBundle(options.bundle) ? options.bundle : await bundleWorkflows(options.bundle);
  const script = typeof options.script === 'function' ? await options.script() : options.script;
  const model = await startScriptedModelServer({
    script: script ?? NOTHING_MATCHES,
    log: options.log ?? (() => undefined),
  });
  let database: TestDatabase | undefined;
  try {
    if (options.database !== undefined) database = await openTestDatabase(options.database);
  } catch (error) {
    await model.close();
    throw error;
  }
  const stacks: TestStack[] = [];
  const rig: ScriptedRig = {
    bundle,
    model,
    ...(database === undefined ? {} : { database }),
    gateway: ({ timeoutMs = 10_000, catalog } = {}) => scriptedGateway(model, timeoutMs, catalog),
    async startStack({ dependencies, ...stackOptions } = {}) {
      const stack = stopOnce(
        await startTestStack({
          bundle,
          dependencies: {
            ...dependencies,
            models: dependencies?.models ?? rig.gateway(),
            tools: dependencies?.tools ?? new ToolRegistry(builtInTools()),
          },
          ...stackOptions,
        }),
      );
      stacks.push(stack);
      return stack;
    },
    async stopStacks() {
      for (const stack of stacks.splice(0).reverse()) await stack.stop();
    },
    async close() {
      try {
        await rig.stopStacks();
      } finally {
        await model.close();
        await database?.drop();
      }
    },
  };
  return rig;
}
