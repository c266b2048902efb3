import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { ModelGateway } from '../../src/models/model-gateway';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import {
  startScriptedRig,
  type ScriptedRig,
  type ScriptedRigOptions,
  type ScriptedStackOptions,
} from '../../src/testing/scripted-stack';
import type { TestStack } from '../../src/testing/temporal-harness';
import type { TestDatabase } from '../../src/testing/test-database';

/** Options of {@link useScriptedStack}: the rig's, and the file's own stack. */
export interface UseScriptedStackOptions extends ScriptedRigOptions {
  /**
   * The file's stack, started once before its tests: its options, or a function of the
   * fixture for dependencies that need its model, gateway or database. `false`: no file
   * stack; each test starts its own with {@link ScriptedStackFixture.startStack}.
   * @default the default dependencies (a gateway over the scripted model, the built-in tools)
   */
  stack?:
    | false
    | ScriptedStackOptions
    | ((fixture: ScriptedStackFixture) => ScriptedStackOptions | Promise<ScriptedStackOptions>);
}

/** What a test file uses, read inside its tests (the parts exist once `beforeAll` has run). */
export interface ScriptedStackFixture {
  readonly rig: ScriptedRig;
  readonly bundle: WorkflowBundleWithSourceMap;
  /** The scripted model server: `setScript`, `requests`. */
  readonly model: ScriptedModelServer;
  /** The test database, when the options named one. */
  readonly database: TestDatabase;
  /** The file's stack (not with `stack: false`). */
  readonly stack: TestStack;
  /** A gateway whose every model is answered by the scripted model; see {@link ScriptedRig.gateway}. */
  gateway(options?: Parameters<ScriptedRig['gateway']>[0]): ModelGateway;
  /** Starts workers for the current test; they are stopped after it. */
  startStack(options?: ScriptedStackOptions): Promise<TestStack>;
}

/**
 * The one setup of an integration test file on the real stack with the scripted model: its
 * `beforeAll` bundles the workflows, starts the scripted model server (and the file's stack
 * and test database, if asked), its `afterEach` stops the stacks a test started, and its
 * `afterAll` stops everything. Call it once, at the top of the file.
 */
export function useScriptedStack(options: UseScriptedStackOptions = {}): ScriptedStackFixture {
  let rig: ScriptedRig | undefined;
  let fileStack: TestStack | undefined;
  const testStacks: TestStack[] = [];

  beforeAll(async () => {
    rig = await startScriptedRig(options);
    if (options.stack === false) return;
    const stackOptions = typeof options.stack === 'function' ? await options.stack(fixture) : options.stack;
    fileStack = await rig.startStack(stackOptions);
  });
  afterEach(async () => {
    for (const stack of testStacks.splice(0).reverse()) await stack.stop();
  });
  afterAll(async () => {
    await rig?.close();
  });

  const started = (): ScriptedRig => {
    if (rig === undefined)
      throw new Error('useScriptedStack: read the fixture inside tests or hooks, after its beforeAll');
    return rig;
  };
  const fixture: ScriptedStackFixture = {
    get rig() {
      return started();
    },
    get bundle() {
      return started().bundle;
    },
    get model() {
      return started().model;
    },
    get database() {
      const { database } = started();
      if (database === undefined) throw new Error('useScriptedStack: no database: pass { database: "label" }');
      return database;
    },
    get stack() {
      started();
      if (fileStack === undefined)
        throw new Error('useScriptedStack: this file has no stack of its own; use startStack()');
      return fileStack;
    },
    gateway: (gatewayOptions) => started().gateway(gatewayOptions),
    async startStack(stackOptions) {
      const stack = await started().startStack(stackOptions);
      testStacks.push(stack);
      return stack;
    },
  };
  return fixture;
}
