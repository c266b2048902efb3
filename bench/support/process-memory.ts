import { readFileSync } from 'node:fs';

/**
 * The resident set size of a process in bytes, from `/proc/<pid>/status` (`VmRSS`), or
 * `undefined` when the process is gone or the system has no `/proc` (then memory columns
 * say "—" rather than a wrong number).
 */
export function residentBytes(pid: number): number | undefined {
  try {
    return parseResidentBytes(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** `VmRSS` of a `/proc/<pid>/status` text, in bytes; `undefined` when the line is missing. */
export function parseResidentBytes(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}

/** Peak and last resident size seen while watching a process. */
export interface ResidentWatch {
  peakBytes: number | undefined;
  lastBytes: number | undefined;
}

/**
 * Samples a process's resident size every `intervalMs` until the returned function is
 * called, which takes a last sample and returns the peak and that last sample.
 */
export function watchResidentMemory(pid: () => number | undefined, intervalMs = 250): () => ResidentWatch {
  let peakBytes: number | undefined;
  const sample = () => {
    const current = pid();
    const bytes = current === undefined ? undefined : residentBytes(current);
    if (bytes !== undefined) peakBytes = Math.max(peakBytes ?? 0, bytes);
    return bytes;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    const lastBytes = sample();
    return { peakBytes, lastBytes };
  };
}

/** `123456789` → `117.7 MB` (MiB, one decimal); `—` when unknown. */
export function formatMegabytes(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
