import type { ChatMessage } from '../../contracts/messages';
import type { ModelSelection, RouteDecision } from '../../contracts/models';
import type { Plan, PlanLimits } from '../../contracts/plan';
import type { AgentTool } from '../../contracts/tools';
import type { Usage } from '../../contracts/usage';
import { estimateMessagesTokens } from '../../shared/estimate-tokens';
import { callModelRouted } from '../routed-model-call';
import { planJsonSchema } from './plan-schema';
import { planCorrectionPrompt, plannerSystemPrompt } from './planner-prompts';
import { validatePlan } from './validate-plan';

/** What planning produced, what it cost, and what went wrong on the way. */
export interface PlanningOutcome {
  plan: Plan;
  routes: RouteDecision[];
  usage: Usage[];
  notes: string[];
}

function parseJson(text: string | null): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return text;
  }
}

/**
 * Asks a model for a plan and validates it; an invalid plan goes back to the model once
 * with the problems, after which the task falls back to answering directly.
 */
export async function planTask(input: {
  goal: string;
  /** Earlier conversation the goal refers to. */
  context?: ChatMessage[];
  selection: ModelSelection;
  tools: AgentTool[];
  limits: PlanLimits;
}): Promise<PlanningOutcome> {
  const messages: ChatMessage[] = [
    {
      role: 'system',
      content: plannerSystemPrompt({
        tools: input.tools,
        maxSubtasks: input.limits.maxSubtasks,
        allowNested: input.limits.depth + 1 < input.limits.maxDepth,
      }),
    },
    ...(input.context ?? []),
    { role: 'user', content: input.goal },
  ];
  const outcome: PlanningOutcome = { plan: { mode: 'direct' }, routes: [], usage: [], notes: [] };
  for (let attempt = 1; attempt <= 2; attempt++) {
    const { result, route, usage } = await callModelRouted({
      selection: input.selection,
      purpose: 'plan',
      messages,
      responseFormat: { name: 'plan', schema: planJsonSchema() },
      contextTokens: estimateMessagesTokens(messages),
      label: attempt === 1 ? 'plan' : 'plan (corrected)',
    });
    outcome.routes.push(route);
    outcome.usage.push(usage);
    const validation = validatePlan(parseJson(result.content), input.limits);
    if (validation.ok) {
      outcome.plan = validation.plan;
      return outcome;
    }
    if (attempt === 2) {
      outcome.notes.push(
        `the planner's plan was invalid twice (${validation.problems.join('; ')}); answered directly instead`,
      );
      return outcome;
    }
    messages.push(
      { role: 'assistant', content: result.content },
      { role: 'user', content: planCorrectionPrompt(validation.problems) },
    );
  }
  return outcome;
}
