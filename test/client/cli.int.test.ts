import { defaultPayloadConverter } from '@temporalio/common';
import type { AgentTaskInput } from '../../src/contracts/agent-task';
import { ChassisGoal, ChassisModelTier, ChassisStatus } from '../../src/contracts/search-attributes';
import { loadScriptFile } from '../../src/testing/scripted-model';
import { DEMO_GOAL, DEMO_SCRIPT_PATH } from '../../src/client/offline/demo-goal';
import { useScriptedStack } from '../support/scripted-stack';
import { chassis, expectOneLineError } from './operations-support';

describe('chassis CLI: bad input', () => {
  test('--help lists the commands and exits 0', async () => {
    const run = await chassis(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['dev', 'worker', 'run', 'status', 'demo', 'mock-llm', 'bench'])
      expect(run.stdout).toContain(command);
  });

  test('an unknown flag is a one-line error with exit code 2', async () => {
    expectOneLineError(await chassis(['run', '--bogus', 'goal']), /unknown option '--bogus'/);
  });

  test('an empty goal is refused before anything starts', async () => {
    expectOneLineError(await chassis(['run', '  ']), /^chassis: the goal is empty/);
  });

  test('a bad --max-steps is refused', async () => {
    expectOneLineError(await chassis(['run', 'x', '--max-steps', '0']), /must be a positive integer/);
  });

  test('invalid configuration names the variable', async () => {
    expectOneLineError(
      await chassis(['run', 'x'], { MONGODB_URI: 'localhost:27017' }),
      /MONGODB_URI is not a valid mongodb:\/\/ URI/,
    );
  });

  test('an unreachable Temporal server is a one-line error with exit code 2', async () => {
    expectOneLineError(
      await chassis(['run', 'x'], { TEMPORAL_ADDRESS: '127.0.0.1:1' }),
      /cannot reach Temporal at 127\.0\.0\.1:1/,
    );
  });

  test('an invalid scripted-model file is a one-line error', async () => {
    expectOneLineError(
      await chassis(['mock-llm', '--script', '/nonexistent.json']),
      /script \/nonexistent\.json cannot be read/,
    );
  });

  test('an unknown benchmark lists the available ones', async () => {
    expectOneLineError(await chassis(['bench', 'nope']), /no benchmark "nope": available: /);
  });
});

describe('chassis CLI against the real dev server', () => {
  const scripted = useScriptedStack({
    script: () => loadScriptFile(DEMO_SCRIPT_PATH),
    stack: (fixture) => ({ dependencies: { models: fixture.gateway({ timeoutMs: 5_000 }) } }),
  });

  test('run --json prints one JSON object with the answer and usage; status reads it back', async () => {
    const run = await chassis(['run', DEMO_GOAL, '--json'], { CHASSIS_TASK_QUEUE: scripted.stack.taskQueue });
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as Record<string, unknown> & { usage: Record<string, number> };
    expect(Object.keys(outcome).sort()).toEqual(['answer', 'runId', 'status', 'subtasks', 'usage', 'workflowId']);
    expect(outcome.status).toBe('completed');
    expect(outcome.answer).toContain('17.5% of 2,340 is 409.5');
    expect(outcome.workflowId).toMatch(/^task-[0-9a-f]{16}$/);
    expect(outcome.usage.inputTokens).toBeGreaterThan(0);
    expect(outcome.usage.outputTokens).toBeGreaterThan(0);
    expect(outcome.usage.costUsd).toBeGreaterThan(0);
    expect(outcome.subtasks).toEqual([]);
    // The scripted server saw the planner (which chose to answer directly), then the tool calls, then the answer.
    expect(scripted.model.requests.map((request) => request.ruleName)).toEqual([
      'demo-plan',
      'demo-plan-tools',
      'demo-answer',
    ]);

    const status = await chassis(['status', String(outcome.workflowId), '--json'], {
      CHASSIS_TASK_QUEUE: scripted.stack.taskQueue,
    });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      executionStatus: string;
      result: { answer: string; status: string };
      uiUrl: string;
    };
    expect(report.executionStatus).toBe('COMPLETED');
    expect(report.result).toMatchObject({ status: 'completed', answer: outcome.answer });
    expect(report.uiUrl).toContain(`/workflows/${String(outcome.workflowId)}/`);

    // Search attributes for the UI: the goal excerpt, the status, and the largest tier used (the planner's).
    const attributes = (await scripted.stack.client.workflow.getHandle(String(outcome.workflowId)).describe())
      .typedSearchAttributes;
    expect(attributes.get(ChassisGoal)).toBe(DEMO_GOAL);
    expect(attributes.get(ChassisStatus)).toBe('completed');
    expect(attributes.get(ChassisModelTier)).toBe('large');
  });

  test('run without --json prints the answer on stdout and progress on stderr', async () => {
    scripted.model.setScript(await loadScriptFile(DEMO_SCRIPT_PATH));
    const run = await chassis(['run', DEMO_GOAL], { CHASSIS_TASK_QUEUE: scripted.stack.taskQueue });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^17\.5% of 2,340 is 409\.5\b/);
    expect(run.stderr).toContain('started task-');
    expect(run.stderr).toContain('status: completed');
  });

  test('with no worker on the queue, run says so instead of waiting', async () => {
    expectOneLineError(
      await chassis(['run', 'x'], { CHASSIS_TASK_QUEUE: `nobody-polls-${Date.now()}` }),
      /no worker is polling task queue "nobody-polls-\d+": start one with "npx chassis worker"/,
    );
  });

  test('--no-wait starts the task and returns at once; the task gets the configured memory namespace', async () => {
    const queue = `nobody-polls-${Date.now()}`;
    const run = await chassis(['run', 'queued goal', '--no-wait', '--json'], {
      CHASSIS_TASK_QUEUE: queue,
      CHASSIS_MEMORY_NAMESPACE: 'team-a',
    });
    expect(run.code).toBe(0);
    const outcome = JSON.parse(run.stdout) as { workflowId: string; status: string };
    expect(outcome.status).toBe('running');
    expect(run.stderr).toContain('no worker is polling');
    const handle = scripted.stack.client.workflow.getHandle(outcome.workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const [started] = (await handle.fetchHistory()).events ?? [];
    const input = defaultPayloadConverter.fromPayload<AgentTaskInput>(
      started?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] ?? {},
    );
    expect(input).toMatchObject({ goal: 'queued goal', memoryNamespace: 'team-a' });
    await handle.terminate('test cleanup');
  });

  test('cancel and instruct name an unknown workflow in one line', async () => {
    expectOneLineError(
      await chassis(['cancel', 'no-such-workflow-id']),
      /no running workflow with id "no-such-workflow-id"/,
    );
    expectOneLineError(await chassis(['instruct', 'no-such-workflow-id', 'be brief']), /no running workflow with id/);
    expectOneLineError(await chassis(['instruct', 'x', '  ']), /the instruction is empty/);
  });

  test('status of an unknown workflow is a one-line error', async () => {
    expectOneLineError(await chassis(['status', 'no-such-workflow-id']), /no workflow with id "no-such-workflow-id"/);
  });
});
