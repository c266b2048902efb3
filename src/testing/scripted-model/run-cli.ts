import { readFile } from 'node:fs/promises';

import { parseScript, isModelScriptError } from './script-schema';
import type { ModelScript } from './script-schema';
import { startScriptedModelServer } from './server';
import type { ScriptedModelServer } from './server';

/** Options of {@link runMockLlm}. */
export interface RunMockLlmOptions {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Path of the JSON model script. */
  scriptPath: string;
  /** Where the start-up line goes. @default stdout */
  print?: (line: string) => void;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Reads and validates a script file; every failure is one line naming the file. */
export async function loadScriptFile(scriptPath: string): Promise<ModelScript> {
  let text: string;
  try {
    text = await readFile(scriptPath, 'utf8');
  } catch (error) {
    throw new Error(`script ${scriptPath} cannot be read: ${reason(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`script ${scriptPath} is not JSON: ${reason(error)}`);
  }
  try {
    return parseScript(json);
  } catch (error) {
    if (isModelScriptError(error)) throw new Error(`script ${scriptPath} is invalid: ${error.detail}`);
    throw error;
  }
}

/**
 * Entry point of `chassis mock-llm`: loads the script file, starts the scripted model server
 * and prints where it listens. The returned server keeps the process alive until closed.
 *
 * @throws {Error} with a one-line message when the file is missing, not JSON or not a valid script.
 */
export async function runMockLlm(options: RunMockLlmOptions): Promise<ScriptedModelServer> {
  const script = await loadScriptFile(options.scriptPath);
  const server = await startScriptedModelServer({
    script,
    port: options.port,
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Said on every start, so nobody mistakes scripted answers for a model's.
  print(
    `scripted model server (a test double, not a model) listening on ${server.url} (OpenAI base URL ${server.baseURL})`,
  );
  return server;
}
