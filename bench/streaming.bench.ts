import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { taskEvents } from '../src/client/task-events';
import type { ChassisConfig } from '../src/config/load-config';
import { TASK_EVENTS_COLLECTION, TaskEventLog } from '../src/events/task-event-log';
import type { agentTaskWorkflow } from '../src/workflows/agent-task';
import { describeBenchmarkServers } from './support/header';
import { summarizeSamples, type SampleSummary } from './support/results';
import { alternatingRounds, openBenchDatabase, progress, startBenchRig, type BenchDatabase } from './support/runner';
import { printTable } from './support/table';

/**
 * `streaming`: what publishing task events costs and what it gives, side by side in one run.
 * The same task (a tool-calling step, then a 60-word answer streamed at one word per
 * `CHUNK_DELAY_MS`) runs on workers that publish events and on workers that do not,
 * alternating. Measured: the task's duration (start → result), its history length (events
 * must not add to it), the event-log documents one task writes, and, with events, when the
 * first token of the answer reached a follower compared with when the result did.
 *
 * The model is the scripted server, a test double of the provider. Compare the ratios.
 */

const ITERATIONS = 8;
const CHUNK_DELAY_MS = 30;
const ANSWER = Array.from({ length: 60 }, (_, index) => `word${index + 1}`).join(' ');

/** One side of the comparison. */
export interface StreamingSide {
  taskMs: SampleSummary;
  historyEvents: number;
  /** Documents in the event log per task (0 without events). */
  logDocumentsPerTask: number;
}

/** The benchmark's result. */
export interface StreamingBenchResult {
  description: string;
  iterations: number;
  chunkDelayMs: number;
  answerWords: number;
  off: StreamingSide;
  on: StreamingSide;
  /** With events: start → first token of the answer at a follower, and start → done. */
  firstTokenMs: SampleSummary;
  doneMs: SampleSummary;
  overheadRatio: number;
}

export async function run(config: ChassisConfig): Promise<StreamingBenchResult> {
  const rig = await startBenchRig(config, {
    script: {
      rules: [
        {
          name: 'tool',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '2340 * 0.175' } }] },
        },
        { name: 'answer', reply: { content: ANSWER }, stream: { chunkDelayMs: CHUNK_DELAY_MS } },
      ],
    },
  });
  let database: BenchDatabase | undefined;
  try {
    database = await openBenchDatabase(config, 'streaming');
    const { db } = database;
    const models = rig.gateway({ timeoutMs: 30_000 });
    const stacks = {
      off: await rig.startStack({ dependencies: { models }, taskQueuePrefix: 'bench-streaming' }),
      on: await rig.startStack({
        dependencies: { models, events: new TaskEventLog(db) },
        taskQueuePrefix: 'bench-streaming',
      }),
    };
    const samples = { firstToken: [] as number[], done: [] as number[] };
    const history = { off: 0, on: 0 };
    const documents: number[] = [];
    const [offMs = [], onMs = []] = await alternatingRounds({
      sides: ['off', 'on'] as const,
      rounds: ITERATIONS,
      warmupRounds: 1,
      onRound: ({ index, warmup }) => progress(warmup ? 'warm-up…' : `iteration ${index + 1}/${ITERATIONS}…`),
      run: async (side, { warmup }) => {
        const stack = stacks[side];
        const started = performance.now();
        const handle = await stack.client.workflow.start<typeof agentTaskWorkflow>('agentTaskWorkflow', {
          taskQueue: stack.taskQueue,
          workflowId: `bench-streaming-${randomUUID()}`,
          args: [{ goal: 'What is 17.5% of 2,340?', planning: 'direct', memory: false }],
        });
        // Measured on its own promise: following the events must not add to the task's time.
        const finished = handle.result().then(() => performance.now() - started);
        if (side === 'on') {
          let firstToken: number | undefined;
          let answerCall: string | undefined;
          for await (const event of taskEvents(stack.client, handle.workflowId, { db, pollIntervalMs: 50 })) {
            if (event.type === 'step' && event.label === 'step 2') answerCall = event.callId;
            if (event.type === 'token' && event.callId === answerCall) firstToken ??= performance.now() - started;
            if (event.type === 'done' && !warmup) {
              samples.done.push(performance.now() - started);
              samples.firstToken.push(firstToken ?? Number.NaN);
            }
          }
        }
        const elapsed = await finished;
        if (warmup) return elapsed;
        history[side] = (await handle.fetchHistory()).events?.length ?? 0;
        if (side === 'on') {
          documents.push(await db.collection(TASK_EVENTS_COLLECTION).countDocuments({ streamId: handle.workflowId }));
        }
        return elapsed;
      },
    });
    const offSide: StreamingSide = {
      taskMs: summarizeSamples(offMs),
      historyEvents: history.off,
      logDocumentsPerTask: 0,
    };
    const onSide: StreamingSide = {
      taskMs: summarizeSamples(onMs),
      historyEvents: history.on,
      logDocumentsPerTask: Math.round(documents.reduce((sum, count) => sum + count, 0) / documents.length),
    };
    const firstTokenMs = summarizeSamples(samples.firstToken);
    const doneMs = summarizeSamples(samples.done);
    const overheadRatio = Math.round((onSide.taskMs.medianMs / offSide.taskMs.medianMs) * 100) / 100;
    printTable({
      title: [
        'streaming: one task (a tool-calling step, then a streamed 60-word answer) on workers without and with task events',
        `answer streamed at one word per ${CHUNK_DELAY_MS} ms; ${ITERATIONS} runs per side, alternating, after one warm-up round`,
        `model: the scripted server (a test double, not a model); ${describeBenchmarkServers(config)}`,
        '',
      ],
      headers: [
        'events',
        'task median ms',
        'task p95 ms',
        'history events',
        'log documents / task',
        'first token ms',
        'done ms',
      ],
      rows: [
        ['off', offSide.taskMs.medianMs, offSide.taskMs.p95Ms, offSide.historyEvents, 0, '-', '-'],
        [
          'on',
          onSide.taskMs.medianMs,
          onSide.taskMs.p95Ms,
          onSide.historyEvents,
          onSide.logDocumentsPerTask,
          firstTokenMs.medianMs,
          doneMs.medianMs,
        ],
      ],
    });
    progress(`on/off task time: ${overheadRatio}x`);
    return {
      description:
        'Duration of the same agent task on workers without and with task-event publishing, its history length, the event-log documents it writes, and when a follower got the first token of the answer and the result.',
      iterations: ITERATIONS,
      chunkDelayMs: CHUNK_DELAY_MS,
      answerWords: ANSWER.split(' ').length,
      off: offSide,
      on: onSide,
      firstTokenMs,
      doneMs,
      overheadRatio,
    };
  } finally {
    await rig.close();
    await database?.close();
  }
}
