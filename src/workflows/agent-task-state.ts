import type {
  AddInstructionInput,
  AgentStepRecord,
  AgentTaskPhase,
  AgentTaskStatusView,
  SubtaskSummary,
  TaskStateCarry,
  UnknownOutcome,
} from '../contracts/agent-task';
import type { Budget } from '../contracts/budget';
import type { RouteDecision } from '../contracts/models';
import type { Plan } from '../contracts/plan';
import { addUsage, emptyUsage, type Usage } from '../contracts/usage';
import { totalTokens } from '../shared/usage';
import type { AgentLoopObserver } from './agent-loop';
import { budgetExhausted } from './budget';
import { HumanGate } from './human/human-gate';

/**
 * The state of one agent task or subtask: what the status query reads, what the budget is
 * checked against, and what the result reports. The workflow functions stay orchestration.
 */
export class AgentTaskState implements AgentLoopObserver {
  phase: AgentTaskPhase = 'starting';
  step = 0;
  plan: Plan | null = null;
  readonly steps: AgentStepRecord[] = [];
  readonly routes: RouteDecision[] = [];
  readonly subtasks: SubtaskSummary[] = [];
  readonly instructions: string[] = [];
  readonly notes: string[] = [];
  /** Side effects of this task and its subtasks whose outcome is unknown. */
  readonly unknownOutcomes: UnknownOutcome[] = [];
  usage: Usage = emptyUsage();
  readonly gate = new HumanGate();
  private readonly appliedRequests = new Set<string>();
  private instructionsTaken = 0;

  constructor(
    readonly goal: string,
    readonly maxSteps: number,
    readonly budget: Budget,
    /** Workflow time (deterministic) when the task started. */
    private readonly startedAt: number,
    private readonly now: () => number,
  ) {}

  onModelCall(step: number): void {
    this.phase = 'thinking';
    this.step = step;
  }

  onToolCalls(): void {
    this.phase = 'calling-tools';
  }

  onStep(record: AgentStepRecord, usage: Usage): void {
    this.steps.push(record);
    this.routes.push(record.route);
    this.addUsage(usage);
  }

  onUnknownOutcome(outcome: UnknownOutcome): void {
    this.unknownOutcomes.push(outcome);
  }

  onSummary(usage: Partial<Usage>, route: RouteDecision): void {
    this.routes.push(route);
    this.addUsage(usage);
  }

  onNote(note: string): void {
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  /** What a continued run (continue-as-new) needs of this state. */
  carry(): TaskStateCarry {
    return {
      startedAt: this.startedAt,
      steps: this.steps,
      routes: this.routes,
      usage: this.usage,
      notes: this.notes,
      unknownOutcomes: this.unknownOutcomes,
      instructions: this.instructions,
      instructionsTaken: this.instructionsTaken,
      appliedRequestIds: [...this.appliedRequests],
    };
  }

  /** Takes over what the previous run carried; call before anything else touches the state. */
  restore(carried: TaskStateCarry): void {
    this.steps.push(...carried.steps);
    this.routes.push(...carried.routes);
    this.usage = carried.usage;
    this.notes.push(...carried.notes);
    this.unknownOutcomes.push(...carried.unknownOutcomes);
    this.instructions.push(...carried.instructions);
    this.instructionsTaken = carried.instructionsTaken;
    for (const id of carried.appliedRequestIds) this.appliedRequests.add(id);
    this.step = carried.steps.at(-1)?.step ?? 0;
  }

  /**
   * What a result reports about unknown outcomes: the list (absent when empty, so results
   * without any keep their shape) and a note saying what they mean.
   */
  unknownOutcomesReport(): { unknownOutcomes?: UnknownOutcome[]; note?: string } {
    if (this.unknownOutcomes.length === 0) return {};
    const calls = this.unknownOutcomes.map(
      (outcome) => `${outcome.tool} (call ${outcome.callId}, step ${outcome.step})`,
    );
    const count = this.unknownOutcomes.length;
    return {
      unknownOutcomes: [...this.unknownOutcomes],
      note:
        `${count} tool call${count === 1 ? '' : 's'} with side effects may or may not have taken effect (outcome unknown, ` +
        `not repeated): ${calls.join(', ')}. Check before running ${count === 1 ? 'it' : 'them'} again.`,
    };
  }

  /** Adds model-call or child usage to the task's totals. */
  addUsage(usage: Partial<Usage>): void {
    this.usage = addUsage(this.usage, usage);
  }

  budgetExhausted(): string | undefined {
    return budgetExhausted(this.budget, { usage: this.usage, steps: 0, elapsedMs: this.elapsedMs() });
  }

  tokensLeft(): number | undefined {
    if (this.budget.maxTokens === undefined) return undefined;
    return this.budget.maxTokens - totalTokens(this.usage);
  }

  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** Applies an instruction once per request id; retried updates are no-ops. */
  addInstruction(request: AddInstructionInput): void {
    if (this.appliedRequests.has(request.requestId)) return;
    this.appliedRequests.add(request.requestId);
    this.instructions.push(request.instruction);
  }

  takeNewInstructions(): string[] {
    const fresh = this.instructions.slice(this.instructionsTaken);
    this.instructionsTaken = this.instructions.length;
    return fresh;
  }

  /** The answer of the `status` query. */
  view(): AgentTaskStatusView {
    const pending = this.gate.list();
    return {
      phase: pending.length > 0 ? 'waiting-for-person' : this.phase,
      goal: this.goal,
      step: this.step,
      maxSteps: this.maxSteps,
      plan: this.plan,
      subtasks: this.subtasks,
      steps: this.steps,
      instructions: this.instructions,
      pending,
      usage: this.usage,
    };
  }
}
