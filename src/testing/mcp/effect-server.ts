/**
 * A side-effecting MCP server over stdio for the chaos suite and tests (a real server on the
 * official SDK, not a mock). Its "side effect" is a line appended to a JSONL file, so an
 * outside observer can count how many times each call really ran, independently of MongoDB
 * and of the worker that called it:
 *
 * - `record_effect {task, label}`: appends one line per execution to `CHAOS_EFFECTS_FILE`
 *   (fsync'd), with the call's `_meta.idempotencyKey`. No deduplication on purpose: the
 *   caller's ledger must make it happen once.
 * - `effect_status {idempotencyKey}`: whether an execution with that key is in the file:
 *   `{"applied": true, "output": "..."}` or `{"applied": false}` (an outcome check).
 *
 * Environment: `CHAOS_EFFECTS_FILE` (required), `CHAOS_CALLS_FILE` (optional: one line when
 * each call starts, so the suite can see calls in flight), `CHAOS_EFFECT_DELAY_MS` (time
 * the effect takes, so a worker kill can land in the middle of it; default 0).
 *
 * When its client goes away (the worker was killed) the server finishes the calls it has
 * started before exiting, as a remote system would: the effect happens although nobody is
 * left to hear the answer. Run: `node -r tsx/cjs src/testing/mcp/effect-server.ts`.
 */
import fs from 'node:fs';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { effectOutput, readEffectsFile, type CallRecord, type EffectRecord } from '../chaos/effects-file';

/** Where the server writes; read from the environment by {@link main}. */
export interface EffectServerOptions {
  effectsFile: string;
  callsFile?: string;
  effectDelayMs?: number;
}

/** Appends one JSON line and forces it to disk, so the record survives a crash right after. */
function appendDurably(file: string, record: object): void {
  const descriptor = fs.openSync(file, 'a');
  try {
    fs.writeSync(descriptor, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(descriptor);
  } finally {
    fs.closeSync(descriptor);
  }
}

function idempotencyKeyOf(meta: Record<string, unknown> | undefined): string | null {
  const key = meta?.idempotencyKey;
  return typeof key === 'string' && key !== '' ? key : null;
}

/** The worker that started this server, read once: after a kill of the worker the parent becomes init. */
const WORKER_PID = process.ppid;

/** Builds the server; exported so a test could connect another transport. */
export function createEffectServer(options: EffectServerOptions): { server: McpServer; inFlight: () => number } {
  const server = new McpServer({ name: 'chassis-chaos-effects', version: '1.0.0' });
  let inFlight = 0;
  const journal = (tool: string, key: string | null, args: Record<string, unknown>) => {
    if (options.callsFile === undefined) return;
    const record: CallRecord = {
      at: new Date().toISOString(),
      tool,
      idempotencyKey: key,
      arguments: args,
      pid: process.pid,
      workerPid: WORKER_PID,
    };
    appendDurably(options.callsFile, record);
  };

  server.registerTool(
    'record_effect',
    {
      description:
        'Records a side effect for a task (like sending a message or charging a card): each call has an effect. Call it once per label.',
      inputSchema: {
        task: z.string().min(1).describe('The task the effect belongs to'),
        label: z.string().min(1).describe('The unique label of the effect'),
      },
      // Not idempotent, so Chassis records its outcome per idempotency key (the ledger).
      annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false },
    },
    async ({ task, label }, extra) => {
      inFlight += 1;
      try {
        const key = idempotencyKeyOf(extra._meta);
        journal('record_effect', key, { task, label });
        const delayMs = options.effectDelayMs ?? 0;
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        const output = effectOutput(label);
        const record: EffectRecord = {
          at: new Date().toISOString(),
          tool: 'record_effect',
          idempotencyKey: key,
          arguments: { task, label },
          output,
          pid: process.pid,
          workerPid: WORKER_PID,
        };
        appendDurably(options.effectsFile, record);
        return { content: [{ type: 'text', text: output }] };
      } finally {
        inFlight -= 1;
      }
    },
  );

  server.registerTool(
    'effect_status',
    {
      description: 'Says whether the record_effect call with this idempotency key has been applied, and its output.',
      inputSchema: { idempotencyKey: z.string().min(1) },
      annotations: { readOnlyHint: true },
    },
    async ({ idempotencyKey }, extra) => {
      journal('effect_status', idempotencyKeyOf(extra._meta), { idempotencyKey });
      const applied = readEffectsFile(options.effectsFile).find((record) => record.idempotencyKey === idempotencyKey);
      const answer = applied === undefined ? { applied: false } : { applied: true, output: applied.output };
      return { content: [{ type: 'text', text: JSON.stringify(answer) }] };
    },
  );
  return { server, inFlight: () => inFlight };
}

/** Reads the options from the environment; a missing file variable is a one-line error. */
export function effectServerOptionsFromEnvironment(
  environment: Record<string, string | undefined> = process.env,
): EffectServerOptions {
  const effectsFile = environment.CHAOS_EFFECTS_FILE;
  if (effectsFile === undefined || effectsFile === '') {
    throw new Error('CHAOS_EFFECTS_FILE is not set: name the JSONL file the effects are appended to');
  }
  const delay = Number(environment.CHAOS_EFFECT_DELAY_MS ?? '0');
  if (!Number.isFinite(delay) || delay < 0) {
    throw new Error(
      `CHAOS_EFFECT_DELAY_MS must be a number of milliseconds >= 0, not "${environment.CHAOS_EFFECT_DELAY_MS}"`,
    );
  }
  const callsFile = environment.CHAOS_CALLS_FILE;
  return {
    effectsFile,
    ...(callsFile === undefined || callsFile === '' ? {} : { callsFile }),
    effectDelayMs: delay,
  };
}

async function main(): Promise<void> {
  const { server, inFlight } = createEffectServer(effectServerOptionsFromEnvironment());
  // Answers to a client that died cannot be delivered; that must not crash an effect in progress.
  process.stdout.on('error', () => undefined);
  let exiting = false;
  const exitWhenIdle = () => {
    if (exiting) return;
    exiting = true;
    const timer = setInterval(() => {
      if (inFlight() > 0) return;
      clearInterval(timer);
      process.exit(0);
    }, 20);
  };
  process.stdin.on('end', exitWhenIdle);
  process.stdin.on('close', exitWhenIdle);
  await server.connect(new StdioServerTransport());
  process.stderr.write('chassis-chaos-effects MCP server ready\n');
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `chassis-chaos-effects MCP server failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
