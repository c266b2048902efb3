import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../../config/mcp-servers';

/** What `callTool` of an MCP server answers. */
export type McpCallResult = Awaited<ReturnType<Client['callTool']>>;

/** Options of one call. */
export interface McpCallOptions {
  signal: AbortSignal;
  timeoutMs: number;
  /** Called on each progress notification of the server (the tool heartbeats there). */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
  /** Sent as the request's `_meta` (e.g. `{idempotencyKey}`); the SDK adds its progress token beside it. */
  meta?: Record<string, unknown>;
}

/** Lines of a server's stderr kept for error messages. */
const STDERR_TAIL_LINES = 20;

/**
 * One MCP server over stdio, through the official SDK's `Client`: started on first use,
 * restarted on the next call after its process exits, closed with {@link close}.
 */
export class McpServerConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly stderrTail: string[] = [];
  private closed = false;

  constructor(
    readonly config: McpServerConfig,
    private readonly options: { connectTimeoutMs: number; log?: (line: string) => void },
  ) {}

  /** The last lines the server wrote to stderr, for error messages. */
  stderr(): string {
    return this.stderrTail.join('\n');
  }

  /** The connected client, starting the server if needed. */
  connect(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error(`MCP server ${this.config.name} was closed`));
    if (this.client !== undefined) return Promise.resolve(this.client);
    this.connecting ??= this.start().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async start(): Promise<Client> {
    const transport = new StdioClientTransport({
      command: this.config.command,
      args: this.config.args,
      env: this.config.env,
      cwd: this.config.cwd,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.options.log?.(`[mcp ${this.config.name}] ${line}`);
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      }
    });
    const client = new Client({ name: 'chassis', version: '0.1.0' });
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    try {
      await client.connect(transport, { timeout: this.options.connectTimeoutMs });
    } catch (error) {
      await client.close().catch(() => undefined);
      const stderr = this.stderr();
      throw new Error(
        `MCP server "${this.config.name}" (${[this.config.command, ...this.config.args].join(' ')}) did not start: ${(error as Error).message}` +
          (stderr === '' ? '' : `; its stderr ends with: ${stderr.slice(-500)}`),
      );
    }
    this.client = client;
    return client;
  }

  /** Every tool the server offers (all pages). */
  async listTools(): Promise<McpTool[]> {
    const client = await this.connect();
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: this.options.connectTimeoutMs,
      });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  /** Calls one tool; protocol errors are thrown as the SDK's `McpError`, tool errors come back with `isError`. */
  async callTool(name: string, args: Record<string, unknown>, options: McpCallOptions): Promise<McpCallResult> {
    const client = await this.connect();
    return client.callTool({ name, arguments: args, ...(options.meta ? { _meta: options.meta } : {}) }, undefined, {
      signal: options.signal,
      timeout: options.timeoutMs,
      resetTimeoutOnProgress: true,
      onprogress: options.onProgress,
    });
  }

  /** Stops the server process. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client ?? (await this.connecting?.catch(() => undefined));
    this.client = undefined;
    await client?.close();
  }
}
