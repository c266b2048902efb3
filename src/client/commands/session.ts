import { createInterface } from 'node:readline/promises';
import type { ChassisConfig } from '../../config/load-config';
import { CliError } from '../cli-error';
import { connectTemporal } from '../connection';
import { note, printJson } from '../output';
import { InvalidSessionMessageError, postToSession, sendToSession } from '../session-client';
import { rootCauseMessage, waitForPollers } from '../task-client';

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
  options: { session: string; json?: boolean; wait?: boolean },
): Promise<void> {
  checkSessionId(options.session);
  if (message.trim() === '') throw new CliError('the message is empty');
  const session = await connectTemporal(config);
  try {
    await requireWorker(session.client, config.temporal.taskQueue);
    const start = { taskQueue: config.temporal.taskQueue };
    if (options.wait === false) {
      const { requestId } = await postToSession(session.client, options.session, message, start);
      if (options.json) printJson({ sessionId: options.session, requestId, posted: true });
      else note(`posted to session ${options.session} (request ${requestId}); the answer lands in its history`);
      return;
    }
    const reply = await sendToSession(session.client, options.session, message, start);
    if (options.json) printJson({ sessionId: options.session, ...reply });
    else process.stdout.write(`${reply.answer}\n`);
  } catch (error) {
    if (error instanceof InvalidSessionMessageError) throw new CliError(error.message);
    if ((error as Error).name === 'WorkflowUpdateFailedError')
      throw new CliError(`rejected: ${rootCauseMessage(error as Error)}`);
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
      const reply = await sendToSession(session.client, options.session, message, {
        taskQueue: config.temporal.taskQueue,
      });
      process.stdout.write(`chassis> ${reply.answer}\n`);
    }
  } finally {
    terminal.close();
    await session.close();
  }
}
