import os from 'node:os';

/** The 1-minute load average at the start and the end of a benchmark, next to the CPU count. */
export interface MachineLoad {
  cpus: number;
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
}

/**
 * Starts watching the machine's load: call the returned function at the end. Timings taken
 * while other processes compete for the CPUs (a load average near or above the CPU count)
 * are noisier and slower; the result and the table say so instead of hiding it.
 */
export function watchMachineLoad(): () => MachineLoad {
  const loadAverageAtStart = round(os.loadavg()[0] ?? 0);
  return () => ({ cpus: os.cpus().length, loadAverageAtStart, loadAverageAtEnd: round(os.loadavg()[0] ?? 0) });
}

/** One line for a table's title, e.g. `load average (1 min): 1.2 at start, 3.4 at end, on 2 CPUs`. */
export function describeMachineLoad(load: MachineLoad): string {
  const busy = Math.max(load.loadAverageAtStart, load.loadAverageAtEnd) >= load.cpus;
  return `load average (1 min): ${load.loadAverageAtStart} at start, ${load.loadAverageAtEnd} at end, on ${load.cpus} CPUs${busy ? ' (busy: other processes competed for the CPUs; timings are noisier)' : ''}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
