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
import type { ChatMessage } from '../contracts/messages';
import { applySummary, planWorkingContext } from './context/working-context';
import { DEFAULT_SYSTEM_PROMPT } from './prompts';
import { contextOf, SessionMemory } from './session/session-memory';
import { summarizeTurns } from './session/summarize';

const DEFAULT_IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Working-context budget of a turn unless the session sets one; summaries keep turns under it. */
const DEFAULT_CONTEXT_MAX_TOKENS = 32_000;
const DEFAULT_CONTEXT_WINDOW = 128_000;
/** Compression rounds per turn: a summary that will not shrink must not loop forever. */
const MAX_COMPRESSION_ROUNDS = 3;
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
  const budget = {
    contextWindow: DEFAULT_CONTEXT_WINDOW,
    maxTokens: input.contextMaxTokens ?? DEFAULT_CONTEXT_MAX_TOKENS,
  };
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

  /**
   * The turn's working context within the token budget: the summary and the most recent
   * turns verbatim. When they do not fit, older turns are folded into the summary (and a
   * summary that outgrew its share is re-summarized) by a small model, then planned again.
   */
  const workingContext = async (instruction: string): Promise<ChatMessage[]> => {
    const plan = () =>
      planWorkingContext({
        systemPrompt: DEFAULT_SYSTEM_PROMPT,
        instruction,
        history: memory.history(),
        summary: memory.summary(),
        budget,
      });
    let planned = plan();
    for (let round = 0; planned.compression !== null && round < MAX_COMPRESSION_ROUNDS; round++) {
      const request = planned.compression;
      const folded = await summarizeTurns(
        memory.state.summary,
        request.kind === 'summarize-turns' ? request.messages : [],
        request.targetTokens,
        await modelSelection(),
      );
      memory.setSummary(applySummary(memory.summary(), request, folded.summary));
      planned = plan();
    }
    return contextOf(planned.messages);
  };

  const runTurn = async (message: SessionMessage): Promise<SessionTurn> => {
    const earlier = memory.answerOf(message.requestId);
    if (earlier !== undefined) return earlier;
    const turn = memory.state.turnCount + 1;
    const taskWorkflowId = `${workflowInfo().workflowId}/turn-${turn}`;
    const taskInput: AgentTaskInput = {
      goal: message.message,
      context: await workingContext(message.message),
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
  // The episodic summary of the whole session: every turn not yet folded goes in.
  const history = memory.history();
  const last = history.at(-1);
  if (last !== undefined) {
    const folded = await summarizeTurns(
      memory.state.summary,
      history.flatMap((turn) => turn.messages),
      Math.max(256, Math.floor(budget.maxTokens / 4)),
      await modelSelection(),
    );
    memory.setSummary({ text: folded.summary, throughTurn: last.turn, level: memory.state.summaryLevel });
  }
  return {
    sessionId: input.sessionId,
    turns: memory.state.turnCount,
    summary: memory.state.summary,
    endedBecause: 'idle',
  };
}
