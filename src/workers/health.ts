/** The parts of a worker's health line, in the order they are printed. */
export const HEALTH_COMPONENTS = ['temporal', 'mongodb', 'models'] as const;

/** One part of the worker's health. */
export type HealthComponent = (typeof HEALTH_COMPONENTS)[number];

/** What one probe found. */
export interface ComponentHealth {
  component: HealthComponent;
  ok: boolean;
  /** Why it is down, or what answered (e.g. "scripted offline model"); never a secret. */
  detail?: string;
}

/**
 * The worker's health in one line, components in a fixed order:
 * `health: temporal ok · mongodb down (connect ECONNREFUSED 127.0.0.1:27017) · models ok (scripted offline model)`.
 */
export function formatHealthLine(components: readonly ComponentHealth[]): string {
  const ordered = [...components].sort(
    (left, right) => HEALTH_COMPONENTS.indexOf(left.component) - HEALTH_COMPONENTS.indexOf(right.component),
  );
  const parts = ordered.map(({ component, ok, detail }) => {
    const state = ok ? 'ok' : 'down';
    return detail === undefined || detail === '' ? `${component} ${state}` : `${component} ${state} (${detail})`;
  });
  return `health: ${parts.join(' · ')}`;
}

/**
 * What counts as a change worth a new health line: a component going up or down. The
 * details of a component that stays down may differ from probe to probe (a connection
 * number, a timeout instead of a refusal) and would print a line every few seconds.
 */
export function healthChangeKey(components: readonly ComponentHealth[]): string {
  return HEALTH_COMPONENTS.map((component) => {
    const found = components.find((candidate) => candidate.component === component);
    return `${component}:${found === undefined ? 'unknown' : found.ok ? 'ok' : 'down'}`;
  }).join(',');
}
