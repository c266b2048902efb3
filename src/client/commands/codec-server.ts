import { randomBytes } from 'node:crypto';
import { isLoopbackHost, startCodecServer, type CodecServer } from '../../codec/codec-server';
import { payloadKeyIds } from '../../config/payload-keys';
import { CliError } from '../cli-error';
import { note } from '../output';
import { openDataConverter, type ConfigWithCodec } from '../replay/codecs';

/** Options of `chassis codec-server`. */
export interface CodecServerCommandOptions {
  /** @default 8888 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Extra browser origins allowed besides the Temporal UI's (`TEMPORAL_UI_URL`). */
  origins?: string[];
  /** Names the server is reached by besides localhost and this machine's addresses (the `Host` header). */
  publicNames?: string[];
  /** Resolves when the server should stop. @default Ctrl-C or SIGTERM */
  until?: Promise<void>;
  /** Called once the server listens (tests read the port). */
  onListening?: (server: CodecServer) => void;
}

/** The UI's origin, plus its localhost / 127.0.0.1 twin (a browser treats them as different origins). */
export function uiOrigins(uiUrl: string): string[] {
  const origin = new URL(uiUrl).origin;
  const twin = origin.includes('//localhost')
    ? origin.replace('//localhost', '//127.0.0.1')
    : origin.includes('//127.0.0.1')
      ? origin.replace('//127.0.0.1', '//localhost')
      : undefined;
  return twin === undefined ? [origin] : [origin, twin];
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/**
 * `chassis codec-server [--port 8888] [--host 127.0.0.1]`: serves Temporal's remote codec
 * endpoint with the workers' codec chain, so the Web UI (and `temporal workflow show
 * --codec-endpoint`) shows claim-checked and encrypted payloads decoded. It hands out
 * decrypted data: on loopback a token is optional (`CHASSIS_CODEC_SERVER_TOKEN`); on any
 * other interface one is required, and when none is set one is generated and printed once.
 */
export async function codecServerCommand(
  config: ConfigWithCodec,
  options: CodecServerCommandOptions = {},
): Promise<void> {
  const converter = openDataConverter(config);
  const { settings } = converter;
  const origins = [...uiOrigins(config.temporal.uiUrl), ...(options.origins ?? [])];
  const host = options.host ?? '127.0.0.1';
  // Beyond loopback a token is required; one made here is printed once and lives as long as the process.
  const generatedToken =
    settings.codecServerToken === undefined && !isLoopbackHost(host)
      ? randomBytes(24).toString('base64url')
      : undefined;
  const token = settings.codecServerToken ?? generatedToken;
  let server: CodecServer;
  try {
    server = await startCodecServer({
      codecs: converter.dataConverter.payloadCodecs ?? [],
      port: options.port ?? 8888,
      host,
      allowedOrigins: origins,
      publicNames: options.publicNames,
      token,
      log: (line) => note(line),
    });
  } catch (error) {
    await converter.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${options.port ?? 8888} is in use: pick another with --port`);
    throw error;
  }
  const claimCheck =
    settings.claimCheckThresholdBytes === undefined
      ? 'off'
      : `on (payloads >= ${settings.claimCheckThresholdBytes} bytes)`;
  const keyIds = payloadKeyIds(settings.payloadKeys);
  const encryption = keyIds === undefined ? 'off' : `on (keys ${keyIds.join(', ')})`;
  note(`codec server on ${server.url}: claim check ${claimCheck}, encryption ${encryption}`);
  note(
    `allowed origins: ${origins.join(', ')}${token === undefined ? '; no token (loopback only)' : '; bearer token required'}`,
  );
  if (generatedToken !== undefined) {
    note(
      `generated bearer token (CHASSIS_CODEC_SERVER_TOKEN is not set): ${generatedToken} — send "Authorization: Bearer <token>"; it changes at every start`,
    );
  }
  note(
    `in the Temporal UI (${config.temporal.uiUrl}) open "Data Encoder" settings and set the codec server endpoint to ${server.url}; ` +
      `for the CLI: temporal workflow show --codec-endpoint ${server.url}${token === undefined ? '' : ' --codec-auth "Bearer <token>"'} -w <workflowId>. Ctrl-C to stop.`,
  );
  options.onListening?.(server);
  try {
    await (options.until ?? signalled());
  } finally {
    await server.close();
    await converter.close();
  }
}
