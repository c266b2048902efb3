import {
  ActivityFailure,
  allHandlersFinished,
  ChildWorkflowFailure,
  condition,
  executeChild,
  log,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AgentTaskInput, AgentTaskResult } from '../../contracts/agent-task';
import type { ChatMessage } from '../../contracts/messages';
import type { ModelSelection } from '../../contracts/models';
import { ChassisSession, ChassisStatus } from '../../contracts/search-attributes';
import {
  sessionMessageProblem,
  type SessionInput,
  type SessionMessage,
  type SessionResult,
  type SessionTurn,
  type SessionView,
} from '../../contracts/session';
import { rootCauseMessage } from '../../shared/root-cause';
import { workerLookup } from '../activity-options';
import type { ContextBudgetOptions } from '../context/context-budget';
import { applySummary, planWorkingContext } from '../context/working-context';
import { DEFAULT_SYSTEM_PROMPT } from '../prompts';
import { contextOf, SessionMemory } from './session-memory';
import { migrateSessionState } from './session-state';
import { summarizeTurns } from './summarize';

const DEFAULT_IDLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Working-context budget of a turn unless the session sets one; summaries keep turns under it. */
const DEFAULT_CONTEXT_MAX_TOKENS = 32_000;
const DEFAULT_CONTEXT_WINDOW = 128_000;
/** Compression rounds per turn: a summary that will not shrink must not loop forever. */
const MAX_COMPRESSION_ROUNDS = 3;
const DEFAULT_TURNS_PER_RUN = 100;

/** Posted messages start their turn in the signal handler, in arrival order. */
export const POSTED_IN_ARRIVAL_ORDER_PATCH = 'session-posted-in-arrival-order-v1';

/**
 * One session's state and message handlers; `sessionWorkflow` is the thin loop around it.
 * Turns run one at a time, in arrival order, whether they came by update or by signal; a
 * request id already answered gets its earlier answer. Everything here is deterministic.
 */
export class SessionEntity {
  private readonly memory: SessionMemory;
  private readonly budget: ContextBudgetOptions & { maxTokens: number };
  private readonly idleTimeoutMs: number;
  private readonly turnsPerRun: number;
  /** Posted messages the main loop has not started yet. */
  private readonly queued: SessionMessage[] = [];
  private runTurns = 0;
  /** Turns started and not finished. */
  private busy = 0;
  /** Bumped when a turn starts or ends; wakes the main loop (and restarts its idle timer). */
  private activity = 0;
  private selection: ModelSelection | undefined;
  /** Turns run one after another: each waits for the previous one (a promise chain is deterministic here). */
  private tail: Promise<unknown> = Promise.resolve();
  /** A posted turn's unexpected failure: nobody awaits a signal, so the main loop raises it. */
  private postedFailure: { error: unknown } | undefined;

  constructor(private readonly input: SessionInput) {
    this.memory = new SessionMemory(migrateSessionState(input.state));
    this.idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.turnsPerRun = input.turnsPerRun ?? DEFAULT_TURNS_PER_RUN;
    this.budget = {
      contextWindow: DEFAULT_CONTEXT_WINDOW,
      maxTokens: input.contextMaxTokens ?? DEFAULT_CONTEXT_MAX_TOKENS,
    };
  }

  /** The `sessionStatus` query. */
  view(): SessionView {
    return this.memory.view(this.input.sessionId, this.queued.length, this.runTurns);
  }

  /** The `sendMessage` update (validated by its validator before it is accepted). */
  send(message: SessionMessage): Promise<SessionTurn> {
    return this.serialized(message);
  }

  /**
   * The `postMessage` signal. A signal cannot be refused, and a throw here would fail the
   * session, so an invalid message is dropped, logged and counted instead.
   */
  post(message: SessionMessage): void {
    const problem = sessionMessageProblem(message);
    if (problem !== undefined) {
      this.memory.countDropped();
      log.warn(`session ${this.input.sessionId}: dropped a posted message: ${problem}`, {
        droppedMessages: this.memory.state.droppedMessages,
      });
      return;
    }
    this.queued.push(message);
    // A turn takes its place in line when its message arrives. Left to the main loop, a
    // posted message was overtaken by an update delivered in the same activation.
    if (patched(POSTED_IN_ARRIVAL_ORDER_PATCH)) this.startQueued();
  }

  /**
   * Waits until a message is queued, a turn starts or ends, or continue-as-new is due: true;
   * or until the idle time passes without any of these: false.
   */
  async waitForWork(): Promise<boolean> {
    const seen = this.activity;
    const woke = await condition(
      () =>
        this.queued.length > 0 || this.activity !== seen || this.continueAsNewDue() || this.postedFailure !== undefined,
      this.idleTimeoutMs,
    );
    this.raisePostedFailure();
    return woke;
  }

  /** Starts the turns of queued (posted) messages, in order. */
  startQueued(): void {
    for (let message = this.queued.shift(); message !== undefined; message = this.queued.shift()) {
      // Kept, not floating: a rejection no one handles would fail the workflow task with no context.
      this.serialized(message).catch((error: unknown) => {
        this.postedFailure ??= { error };
      });
    }
  }

  continueAsNewDue(): boolean {
    return workflowInfo().continueAsNewSuggested || this.runTurns >= this.turnsPerRun;
  }

  /** No turn running or waiting. */
  idle(): boolean {
    return this.busy === 0 && this.queued.length === 0;
  }

  /**
   * Lets running turns and handlers finish before continue-as-new, so no message is lost
   * across runs; a message posted meanwhile is answered in this run too.
   */
  async settle(): Promise<void> {
    for (;;) {
      await condition(
        () => this.queued.length > 0 || this.postedFailure !== undefined || (this.idle() && allHandlersFinished()),
      );
      this.raisePostedFailure();
      if (this.queued.length === 0) return;
      this.startQueued();
    }
  }

  /** The input of the next run: the same settings and this run's state. */
  carryOver(): SessionInput {
    return { ...this.input, state: this.memory.state };
  }

  /** Ends the session: every turn not yet folded goes into the episodic summary of the whole session. */
  async end(): Promise<SessionResult> {
    await condition(allHandlersFinished);
    const history = this.memory.history();
    const last = history.at(-1);
    if (last !== undefined) {
      const folded = await summarizeTurns(
        this.memory.state.summary,
        history.flatMap((turn) => turn.messages),
        Math.max(256, Math.floor(this.budget.maxTokens / 4)),
        await this.modelSelection(),
      );
      this.memory.setSummary({ text: folded.summary, throughTurn: last.turn, level: this.memory.state.summaryLevel });
    }
    return {
      sessionId: this.input.sessionId,
      turns: this.memory.state.turnCount,
      summary: this.memory.state.summary,
      endedBecause: 'idle',
    };
  }

  private raisePostedFailure(): void {
    if (this.postedFailure !== undefined) throw this.postedFailure.error;
  }

  private serialized(message: SessionMessage): Promise<SessionTurn> {
    this.busy++;
    this.activity++;
    const next = this.tail.then(() => this.runTurn(message));
    this.tail = next.catch(() => undefined);
    return next.finally(() => {
      this.busy--;
      this.activity++;
    });
  }

  private async modelSelection(): Promise<ModelSelection> {
    if (this.input.model !== undefined) return { kind: 'pinned', model: this.input.model };
    if (this.selection === undefined) {
      const { describeModels } = proxyActivities<Activities>(workerLookup);
      this.selection = { kind: 'routed', models: await describeModels({}) };
    }
    return this.selection;
  }

  /**
   * The turn's working context within the token budget: the summary and the most recent
   * turns verbatim. When they do not fit, older turns are folded into the summary (and a
   * summary that outgrew its share is re-summarized) by a small model, then planned again.
   */
  private async workingContext(instruction: string): Promise<ChatMessage[]> {
    const plan = () =>
      planWorkingContext({
        systemPrompt: DEFAULT_SYSTEM_PROMPT,
        instruction,
        history: this.memory.history(),
        summary: this.memory.summary(),
        budget: this.budget,
      });
    let planned = plan();
    for (let round = 0; planned.compression !== null && round < MAX_COMPRESSION_ROUNDS; round++) {
      const request = planned.compression;
      const folded = await summarizeTurns(
        this.memory.state.summary,
        request.kind === 'summarize-turns' ? request.messages : [],
        request.targetTokens,
        await this.modelSelection(),
      );
      this.memory.setSummary(applySummary(this.memory.summary(), request, folded.summary));
      planned = plan();
    }
    return contextOf(planned.messages);
  }

  private async runTurn(message: SessionMessage): Promise<SessionTurn> {
    const earlier = this.memory.answerOf(message.requestId);
    if (earlier !== undefined) return earlier;
    const turn = this.memory.state.turnCount + 1;
    const taskWorkflowId = `${workflowInfo().workflowId}/turn-${turn}`;
    let answer: string;
    let status: string;
    try {
      const taskInput: AgentTaskInput = {
        goal: message.message,
        context: await this.workingContext(message.message),
        sessionId: this.input.sessionId,
        model: this.input.model,
        ...(this.input.memoryNamespace === undefined ? {} : { memoryNamespace: this.input.memoryNamespace }),
      };
      const result: AgentTaskResult = await executeChild('agentTaskWorkflow', {
        workflowId: taskWorkflowId,
        args: [taskInput],
        staticSummary: `Session ${this.input.sessionId}, turn ${turn}`,
        typedSearchAttributes: [
          { key: ChassisSession, value: this.input.sessionId },
          { key: ChassisStatus, value: 'running' },
        ],
      });
      answer = result.answer;
      status = result.status;
    } catch (error) {
      // The turn's task failed, or the summarizer did after its retries: a failed turn is an
      // answer the user sees, and the session goes on. Anything else (cancellation) propagates.
      if (!(error instanceof ChildWorkflowFailure) && !(error instanceof ActivityFailure)) throw error;
      answer = `This turn failed: ${rootCauseMessage(error)}`;
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
    this.memory.record(record);
    this.runTurns++;
    return record;
  }
}
