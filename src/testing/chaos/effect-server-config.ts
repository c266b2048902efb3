import path from 'node:path';
import { parseMcpServersConfig } from '../../tools/mcp/config';
import { REPOSITORY_ROOT } from './worker-process';

/** Where the chaos effect MCP server writes, and how slow its effect is. */
export interface EffectServerFiles {
  effectsFile: string;
  callsFile: string;
  /** Time one effect takes, so a kill can land in the middle of it. */
  effectDelayMs: number;
}

/** The `CHASSIS_MCP_SERVERS` entry of the chaos effect server, and which optional keys it carries. */
export interface EffectServerConfig {
  /** The JSON entry, ready for `JSON.stringify([entry])`. */
  entry: Record<string, unknown>;
  /** Optional keys of newer Chassis versions that this Chassis accepts and the entry carries. */
  features: string[];
}

/**
 * Keys a newer Chassis understands, added to the entry only when this Chassis's config
 * schema accepts them (its schema is strict: an unknown key is a start-up error):
 * - `outcomeChecks`: the ledger asks `effect_status` whether a `record_effect` call whose
 *   attempt died was applied, instead of running it again blindly;
 * - `policy.acceptsIdempotencyKey`: the tools receive the call's idempotency key in `_meta`.
 */
const OPTIONAL_KEYS: { name: string; add: (entry: Record<string, unknown>) => Record<string, unknown> }[] = [
  { name: 'outcomeChecks', add: (entry) => ({ ...entry, outcomeChecks: { record_effect: 'effect_status' } }) },
  {
    name: 'policy.acceptsIdempotencyKey',
    add: (entry) => ({
      ...entry,
      policy: { ...(entry.policy as Record<string, unknown> | undefined), acceptsIdempotencyKey: true },
    }),
  },
];

function accepted(entry: Record<string, unknown>): boolean {
  try {
    parseMcpServersConfig(JSON.stringify([entry]));
    return true;
  } catch {
    return false;
  }
}

/**
 * The chaos effect server as an MCP server entry named `chaos` (tools
 * `chaos__record_effect`, `chaos__effect_status`), started with this Node and tsx. Each
 * optional key is tried against this Chassis's own config parser and kept only if accepted,
 * so the suite runs against today's code and against code that has the keys.
 *
 * @throws when even the plain entry is rejected (the suite is out of date with the schema)
 */
export function effectServerConfig(files: EffectServerFiles): EffectServerConfig {
  let entry: Record<string, unknown> = {
    name: 'chaos',
    command: process.execPath,
    args: ['-r', 'tsx/cjs', path.join(REPOSITORY_ROOT, 'src', 'testing', 'mcp', 'effect-server.ts')],
    cwd: REPOSITORY_ROOT,
    env: {
      CHAOS_EFFECTS_FILE: files.effectsFile,
      CHAOS_CALLS_FILE: files.callsFile,
      CHAOS_EFFECT_DELAY_MS: String(files.effectDelayMs),
    },
  };
  // Throws with the parser's own message if even the plain entry is rejected.
  parseMcpServersConfig(JSON.stringify([entry]));
  const features: string[] = [];
  for (const key of OPTIONAL_KEYS) {
    const candidate = key.add(entry);
    if (!accepted(candidate)) continue;
    entry = candidate;
    features.push(key.name);
  }
  return { entry, features };
}
