import { createInterface } from 'node:readline/promises';
import type { Client } from '@temporalio/client';
import type { ChassisConfig } from '../../config/load-config';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { note, printJson } from '../output';
import type { SessionReply } from '../../contracts/session';
import { openEventDatabase } from '../event-database';
import { LivePrinter } from '../live-printer';
import {
  isInvalidSessionMessageError,
  postToSession,
  sendToSession,
  type SessionStartOptions,
} from '../session-client';
import { sessionMessageEvents } from '../session-events';
import { rootCauseMessage } from '../../shared/root-cause';
import { waitForPollers } from '../task-client';

/**
 * How a new session starts: on the configured task queue, with the model pinned by
 * `CHASSIS_MODEL` (routed when unset) and the memory namespace of `CHASSIS_MEMORY_NAMESPACE`,
 * as `chassis run` does. A session that is already running keeps the settings it started with.
 */
function sessionStart(config: ChassisConfig): SessionStartOptions {
  const input: NonNullable<SessionStartOptions['input']> = {};
  if (config.models.pinned !== undefined) input.model = config.models.pinned;
  if (config.memory.namespace !== undefined) input.memoryNamespace = config.memory.namespace;
  return { taskQueue: config.temporal.taskQueue, input };
}

function checkSessionId(sessionId: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(sessionId)) {
    throw new CliError(`--session must be 1-64 letters, digits, ".", "_" or "-", got "${sessionId}"`);
  }
}

async function requireWorker(client: Parameters<typeof waitForPollers>[0], taskQueue: string): Promise<void> {
  if (!(await waitForPollers(client, taskQueue, 2_000))) {
    throw new CliError(`no worker is polling task queue "${taskQueue}": start one with "npx chassis worker"`);
  }
}

/**
 * `chassis send --session <id> "<message>"`: one message, its answer printed (or JSON).
 * With `--no-wait` the message is posted (a signal) and the command returns at once.
 */
export async function sendCommand(
  config: ChassisConfig,
  message: string,
  options: { session: string; json?: boolean; wait?: boolean; events?: boolean; live?: boolean },
): Promise<void> {
  checkSessionId(options.session);
  if (message.trim() === '') throw new CliError('the message is empty');
  if (options.events && options.json) throw new CliError('--events and --json both choose the output: pick one');
  if (options.events && options.wait === false)
    throw new CliError('--events follows the turn until it is answered: it cannot go with --no-wait');
  const session = await connectTemporal(config);
  try {
    await requireWorker(session.client, config.temporal.taskQueue);
    const start = sessionStart(config);
    if (options.wait === false) {
      const { requestId } = await postToSession(session.client, options.session, message, start);
      if (options.json) printJson({ sessionId: options.session, requestId, posted: true });
      else note(`posted to session ${options.session} (request ${requestId}); the answer lands in its history`);
      return;
    }
    const live = !options.json && !options.events && (options.live ?? process.stdout.isTTY === true);
    if (options.events || live) {
      await followMessage(config, session.client, options.session, message, options.events ? 'events' : 'live');
      return;
    }
    const reply = await sendToSession(session.client, options.session, message, start);
    if (options.json) printJson({ sessionId: options.session, ...reply });
    else process.stdout.write(`${reply.answer}\n`);
  } catch (error) {
    if (isInvalidSessionMessageError(error)) throw new CliError(error.message);
    if ((error as Error).name === 'WorkflowUpdateFailedError')
      throw new CliError(`rejected: ${rootCauseMessage(error)}`);
    throw error;
  } finally {
    await session.close();
  }
}

/** `chassis chat --session <id>`: an interactive conversation; Ctrl-D or "/exit" leaves (the session lives on). */
export async function chatCommand(config: ChassisConfig, options: { session: string }): Promise<void> {
  checkSessionId(options.session);
  const session = await connectTemporal(config);
  const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  try {
    await requireWorker(session.client, config.temporal.taskQueue);
    note(`session ${options.session}: type a message, Enter to send; /exit or Ctrl-D to leave (the session lives on)`);
    for (;;) {
      let line: string;
      try {
        line = await terminal.question('you> ');
      } catch {
        break; // input closed (Ctrl-D)
      }
      const message = line.trim();
      if (message === '/exit') break;
      if (message === '') continue;
      if (process.stdout.isTTY) {
        process.stdout.write('chassis> ');
        await followMessage(config, session.client, options.session, message, 'live');
        continue;
      }
      const reply = await sendToSession(session.client, options.session, message, sessionStart(config));
      process.stdout.write(`chassis> ${reply.answer}\n`);
    }
  } finally {
    terminal.close();
    await session.close();
  }
}

/**
 * Sends a message and follows the turn that answers it: its events as NDJSON lines on
 * stdout ending with `done` (`--events`), or shown live on a terminal.
 */
async function followMessage(
  config: ChassisConfig,
  client: Client,
  sessionId: string,
  message: string,
  mode: 'events' | 'live',
): Promise<SessionReply> {
  const events = openEventDatabase(config);
  const printer = new LivePrinter({ text: (text) => process.stdout.write(text), line: note });
  try {
    for await (const event of sessionMessageEvents(client, sessionId, message, {
      ...sessionStart(config),
      db: events.db,
      fields: events.fields,
      onWarning: (warning) => note(`warning: ${warning}`),
    })) {
      if (mode === 'events') process.stdout.write(`${JSON.stringify(event)}\n`);
      if (event.type === 'done') {
        const { type, sessionId: _sessionId, ...reply } = event;
        void type;
        void _sessionId;
        if (mode === 'live') printer.finish(reply.answer);
        return reply;
      }
      if (mode === 'live') printer.handle(event);
    }
    throw new Error(`the events of session ${sessionId} ended before the answer came`);
  } finally {
    await events.close();
  }
}
