import type { ModelCallResult } from '../contracts/activities';
import type { AgentStepRecord, AgentTaskInput, AgentTaskPhase, AgentTaskStatusView } from '../contracts/agent-task';
import { addUsage, emptyUsage, type Usage } from '../contracts/usage';
import type { AgentLoopObserver } from './agent-loop';

/** The state of one agent task: what the status query reads and the result reports. */
export class AgentTaskState implements AgentLoopObserver {
  phase: AgentTaskPhase = 'starting';
  step = 0;
  readonly steps: AgentStepRecord[] = [];
  usage: Usage = emptyUsage();

  constructor(
    private readonly input: AgentTaskInput,
    readonly maxSteps: number,
  ) {}

  onModelCall(step: number): void {
    this.phase = 'thinking';
    this.step = step;
  }

  onToolCalls(): void {
    this.phase = 'calling-tools';
  }

  onStep(record: AgentStepRecord, result: ModelCallResult): void {
    this.steps.push(record);
    this.usage = addUsage(this.usage, {
      ...result.usage,
      costUsd: result.costUsd,
      modelCalls: 1,
      toolCalls: record.toolCalls.length,
    });
  }

  /** The answer of the `status` query. */
  view(): AgentTaskStatusView {
    return {
      phase: this.phase,
      goal: this.input.goal,
      step: this.step,
      maxSteps: this.maxSteps,
      steps: this.steps,
      usage: this.usage,
    };
  }
}
