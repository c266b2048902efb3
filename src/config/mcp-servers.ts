import { z } from 'zod';

/** The policy fields a config may set for every tool of one MCP server. */
const policyOverrideSchema = z.strictObject({
  timeoutMs: z.number().int().positive().optional(),
  maximumAttempts: z.number().int().positive().optional(),
  initialRetryIntervalMs: z.number().int().nonnegative().optional(),
  heartbeatTimeoutMs: z.number().int().positive().optional(),
  idempotent: z.boolean().optional(),
  /** The server deduplicates calls by `_meta.idempotencyKey`, so re-running one after a dead attempt is safe. */
  acceptsIdempotencyKey: z.boolean().optional(),
  cacheTtlSeconds: z.number().positive().optional(),
  maxOutputChars: z.number().int().min(200).optional(),
  fallback: z.string().min(1).optional(),
  requiresApproval: z.boolean().optional(),
  version: z.string().min(1).optional(),
});

/** One MCP server started over stdio. */
export const mcpServerConfigSchema = z.strictObject({
  /** Prefix of its tools' names (`<name>__<tool>`). */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,30}$/, 'must be 1-30 letters, digits, "_" or "-" (it prefixes tool names)'),
  /** Executable to start, e.g. `npx` or `node`. */
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to a minimal inherited environment (PATH, HOME…); the worker's own secrets are not passed on. */
  env: z.record(z.string(), z.string()).optional(),
  /** Working directory of the server. @default the worker's */
  cwd: z.string().min(1).optional(),
  /** Policy fields for every tool of this server, over what its annotations imply. */
  policy: policyOverrideSchema.optional(),
  /**
   * Checkers of side effects: `{"<tool>": "<checker tool on the same server>"}`. When an
   * attempt of `<tool>` died before its outcome was recorded, the checker is called with
   * `{"idempotencyKey": "..."}` and answers JSON text `{"applied": true, "output": "..."}`
   * or `{"applied": false}`, so the call is neither repeated blindly nor reported unknown.
   */
  outcomeChecks: z.record(z.string().min(1), z.string().min(1)).optional(),
});

/** A validated MCP server entry. */
export type McpServerConfig = z.output<typeof mcpServerConfigSchema>;
/** An MCP server entry as written (`args` optional). */
export type McpServerConfigInput = z.input<typeof mcpServerConfigSchema>;

/** The list in `CHASSIS_MCP_SERVERS`; names are unique. */
export const mcpServersConfigSchema = z.array(mcpServerConfigSchema).superRefine((servers, context) => {
  const seen = new Set<string>();
  servers.forEach((server, index) => {
    if (seen.has(server.name)) {
      context.addIssue({
        code: 'custom',
        message: `duplicate MCP server name "${server.name}"`,
        path: [index, 'name'],
      });
    }
    seen.add(server.name);
  });
});

/**
 * Parses `CHASSIS_MCP_SERVERS` (JSON: `[{"name","command","args","env"}]`).
 *
 * @throws Error whose message names the bad path, for the config loader to report
 */
export function parseMcpServersConfig(json: string): McpServerConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `is not valid JSON (${(error as Error).message}); expected [{"name":"files","command":"npx","args":["…"]}]`,
    );
  }
  const parsed = mcpServersConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? [])
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('');
    const where = path === '' ? '' : `${path}: `;
    throw new Error(`${where}${issue?.message ?? 'invalid'}; expected [{"name":"files","command":"npx","args":["…"]}]`);
  }
  return parsed.data;
}
