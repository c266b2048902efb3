import path from 'node:path';
import type { McpServerConfigInput } from '../../config/mcp-servers';
import { REPOSITORY_ROOT } from './worker-process';

/** Where the chaos effect MCP server writes, and how slow its effect is. */
export interface EffectServerFiles {
  effectsFile: string;
  callsFile: string;
  /** Time one effect takes, so a kill can land in the middle of it. */
  effectDelayMs: number;
}

/**
 * The chaos effect server as a `CHASSIS_MCP_SERVERS` entry named `chaos` (tools
 * `chaos__record_effect`, `chaos__effect_status`), started with this Node and tsx. The
 * ledger asks `effect_status` whether a `record_effect` call whose attempt died was
 * applied. The entry does NOT say `acceptsIdempotencyKey`: `record_effect` appends every
 * execution without deduplicating, so a blind re-run would duplicate — which is exactly
 * what the suite counts.
 */
export function effectServerConfig(files: EffectServerFiles): McpServerConfigInput {
  return {
    name: 'chaos',
    command: process.execPath,
    args: ['-r', 'tsx/cjs', path.join(REPOSITORY_ROOT, 'src', 'testing', 'mcp', 'effect-server.ts')],
    cwd: REPOSITORY_ROOT,
    env: {
      CHAOS_EFFECTS_FILE: files.effectsFile,
      CHAOS_CALLS_FILE: files.callsFile,
      CHAOS_EFFECT_DELAY_MS: String(files.effectDelayMs),
    },
    outcomeChecks: { record_effect: 'effect_status' },
  };
}
