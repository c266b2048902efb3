import { runMockLlm } from '../../testing/scripted-model';
import { CliError } from '../cli-error';

/** `chassis mock-llm`: serves the scripted model (a test double) until Ctrl-C. */
export async function mockLlmCommand(options: { port: string; host: string; script: string }): Promise<void> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port must be 0-65535, got "${options.port}"`);
  let server;
  try {
    server = await runMockLlm({ port, host: options.host, scriptPath: options.script });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  await new Promise<void>((resolve) => {
    const stop = () => void server.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
