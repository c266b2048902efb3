import { DEFAULT_TOOL_POLICY, type ToolPolicy } from '../contracts/tools';
import type { Tool } from './tool';

/** A tool's full policy: its declared fields over {@link DEFAULT_TOOL_POLICY}. */
export function resolvePolicy(tool: Pick<Tool, 'name' | 'policy'>): ToolPolicy {
  const policy: ToolPolicy = { ...DEFAULT_TOOL_POLICY };
  // Spread skips nothing, so an explicit `undefined` would erase a default: copy defined fields only.
  for (const [field, value] of Object.entries(tool.policy ?? {})) {
    if (value !== undefined) (policy as unknown as Record<string, unknown>)[field] = value;
  }
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new Error(`tool ${tool.name} has an invalid policy: ${problems.join('; ')}`);
  return policy;
}

/** Longest timeout of a local tool: it holds up its workflow task while it runs. */
export const MAX_LOCAL_TOOL_TIMEOUT_MS = 10_000;

function policyProblems(policy: ToolPolicy): string[] {
  const problems: string[] = [];
  const positiveInteger = (value: number) => Number.isInteger(value) && value > 0;
  if (!positiveInteger(policy.timeoutMs)) problems.push('timeoutMs must be a positive integer');
  if (!positiveInteger(policy.maximumAttempts)) problems.push('maximumAttempts must be a positive integer');
  if (!(policy.initialRetryIntervalMs >= 0)) problems.push('initialRetryIntervalMs must be >= 0');
  if (policy.heartbeatTimeoutMs !== undefined && !positiveInteger(policy.heartbeatTimeoutMs)) {
    problems.push('heartbeatTimeoutMs must be a positive integer');
  }
  if (policy.cacheTtlSeconds !== undefined && !(policy.cacheTtlSeconds > 0)) {
    problems.push('cacheTtlSeconds must be > 0 (leave it undefined for an uncached tool)');
  }
  // A cached result of a call with side effects would skip the effect on the next task.
  if (policy.cacheTtlSeconds !== undefined && !policy.idempotent) {
    problems.push('a tool with side effects (idempotent: false) cannot be cached');
  }
  if (!positiveInteger(policy.maxOutputChars) || policy.maxOutputChars < 200) {
    problems.push('maxOutputChars must be an integer >= 200 (room for an excerpt and its reference)');
  }
  if (policy.version.trim() === '') problems.push('version must not be empty');
  // A local tool runs inside a workflow task, which may not wait on people, effects or long work.
  if (policy.local === true) {
    if (!policy.idempotent) problems.push('a local tool must have no side effects (idempotent: true)');
    if (policy.requiresApproval || policy.answeredByPerson === true) {
      problems.push('a local tool cannot wait for a person (requiresApproval, answeredByPerson)');
    }
    if (policy.timeoutMs > MAX_LOCAL_TOOL_TIMEOUT_MS) {
      problems.push(`a local tool must finish within ${MAX_LOCAL_TOOL_TIMEOUT_MS / 1000} s (timeoutMs)`);
    }
  }
  return problems;
}

/** One line for people: `timeout 30s, 3 attempts, cache 5m, approval, fallback x`. */
export function summarizePolicy(policy: ToolPolicy): string {
  const parts = [
    `timeout ${formatDuration(policy.timeoutMs / 1000)}`,
    `${policy.maximumAttempts} attempt${policy.maximumAttempts === 1 ? '' : 's'}`,
    policy.cacheTtlSeconds === undefined ? 'no cache' : `cache ${formatDuration(policy.cacheTtlSeconds)}`,
    policy.requiresApproval ? 'approval required' : 'no approval',
    policy.fallback === undefined ? 'no fallback' : `fallback ${policy.fallback}`,
  ];
  if (policy.requiresApproval && policy.approvalTimeoutMs !== undefined) {
    parts[3] = `approval required (rejected after ${formatDuration(policy.approvalTimeoutMs / 1000)})`;
  }
  if (policy.answeredByPerson === true) parts.push('answered by a person');
  if (policy.local === true) parts.push('local (runs in the workflow task)');
  if (!policy.idempotent) {
    parts.push(
      policy.acceptsIdempotencyKey === true ? 'side effects (deduplicated by idempotency key)' : 'side effects',
    );
  }
  return parts.join(', ');
}

/** `90` → `1m30s`, `3600` → `1h`, `0.5` → `0.5s`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.round(seconds);
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
