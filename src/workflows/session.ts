import {
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
  ApplicationFailure,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AgentTaskInput, AgentTaskResult } from '../contracts/agent-task';
import { FailureType } from '../contracts/failure-types';
import type { ModelSelection } from '../contracts/models';
import { ChassisSession, ChassisStatus } from '../contracts/search-attributes';
import {
  postMessageSignal,
  sendMessageUpdate,
  sessionStatusQuery,
  type SessionInput,
  type SessionMessage,
  type SessionResult,
  type SessionTurn,
} from '../contracts/session';
import { workerLookup } from './activity-options';
import { SessionMemory } from './session/session-memory';
import { summarizeTurns } from './session/summarize';

const DEFAULT_IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const DEFAULT_RECENT_TURNS = 6;
const DEFAULT_TURNS_PER_RUN = 100;

function rootCause(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

function validateMessage(message: SessionMessage): void {
  if (typeof message?.message !== 'string' || message.message.trim() === '') {
    throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message: 'the message is empty' });
  }
  if (typeof message.requestId !== 'string' || message.requestId === '') {
    throw ApplicationFailure.create({ type: FailureType.TaskInvalidInput, message: 'requestId is missing' });
  }
}

/**
 * A session: a long-lived entity workflow, one per session id. Each message runs as an
 * agent task (a child workflow) with the session's working context — the running summary
 * and the recent turns. Turns run one at a time, in order. The session waits durably
 * between messages, ends after its idle time with a summary, and continues as new when
 * its history grows, carrying its state, so thousands of turns never hit history limits.
 */
export async function sessionWorkflow(input: SessionInput): Promise<SessionResult> {
  const idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const recentTurns = input.recentTurns ?? DEFAULT_RECENT_TURNS;
  const turnsPerRun = input.turnsPerRun ?? DEFAULT_TURNS_PER_RUN;
  const memory = new SessionMemory(input.state);
  const queued: SessionMessage[] = [];
  let runTurns = 0;
  let busy = 0;
  let activity = 0;
  let selection: ModelSelection | undefined;
  // Turns run one after another: each waits for the previous one (a promise chain is
  // deterministic in the workflow sandbox).
  let tail: Promise<unknown> = Promise.resolve();

  const modelSelection = async (): Promise<ModelSelection> => {
    if (input.model !== undefined) return { kind: 'pinned', model: input.model };
    if (selection === undefined) {
      const { describeModels } = proxyActivities<Activities>(workerLookup);
      selection = { kind: 'routed', models: await describeModels({}) };
    }
    return selection;
  };

  const runTurn = async (message: SessionMessage): Promise<SessionTurn> => {
    const earlier = memory.answerOf(message.requestId);
    if (earlier !== undefined) return earlier;
    const turn = memory.state.turnCount + 1;
    const taskWorkflowId = `${workflowInfo().workflowId}/turn-${turn}`;
    const taskInput: AgentTaskInput = {
      goal: message.message,
      context: memory.contextMessages(),
      sessionId: input.sessionId,
      model: input.model,
    };
    let answer: string;
    let status: string;
    try {
      const result: AgentTaskResult = await executeChild('agentTaskWorkflow', {
        workflowId: taskWorkflowId,
        args: [taskInput],
        staticSummary: `Session ${input.sessionId}, turn ${turn}`,
        typedSearchAttributes: [
          { key: ChassisSession, value: input.sessionId },
          { key: ChassisStatus, value: 'running' },
        ],
      });
      answer = result.answer;
      status = result.status;
    } catch (error) {
      if (!(error instanceof ChildWorkflowFailure)) throw error;
      // A failed turn is an answer the user sees; the session goes on.
      answer = `This turn failed: ${rootCause(error)}`;
      status = 'failed';
    }
    const record: SessionTurn = {
      turn,
      requestId: message.requestId,
      message: message.message,
      answer,
      status,
      taskWorkflowId,
    };
    memory.record(record);
    runTurns++;
    const overflow = memory.takeOverflow(recentTurns);
    if (overflow.length > 0) {
      const folded = await summarizeTurns(memory.state.summary, overflow, await modelSelection());
      memory.state.summary = folded.summary;
    }
    return record;
  };

  const serialized = (message: SessionMessage): Promise<SessionTurn> => {
    busy++;
    activity++;
    const next = tail.then(() => runTurn(message));
    tail = next.catch(() => undefined);
    return next.finally(() => {
      busy--;
      activity++;
    });
  };

  setHandler(sessionStatusQuery, () => memory.view(input.sessionId, queued.length, runTurns));
  setHandler(sendMessageUpdate, (message) => serialized(message), { validator: validateMessage });
  setHandler(postMessageSignal, (message) => {
    validateMessage(message);
    queued.push(message);
  });

  const continueAsNewDue = () => workflowInfo().continueAsNewSuggested || runTurns >= turnsPerRun;
  for (;;) {
    const seen = activity;
    const woke = await condition(() => queued.length > 0 || activity !== seen || continueAsNewDue(), idleTimeoutMs);
    while (queued.length > 0) void serialized(queued.shift() as SessionMessage);
    if (continueAsNewDue()) {
      // Let running turns and handlers finish, so no message is lost across runs.
      await condition(() => busy === 0 && queued.length === 0 && allHandlersFinished());
      await continueAsNew<typeof sessionWorkflow>({ ...input, state: memory.state });
    }
    if (!woke && busy === 0 && queued.length === 0) break;
  }

  await condition(allHandlersFinished);
  if (memory.state.recent.length > 0) {
    const folded = await summarizeTurns(memory.state.summary, memory.takeOverflow(0), await modelSelection());
    memory.state.summary = folded.summary;
  }
  return {
    sessionId: input.sessionId,
    turns: memory.state.turnCount,
    summary: memory.state.summary,
    endedBecause: 'idle',
  };
}
