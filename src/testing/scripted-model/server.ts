import { createServer } from 'node:http';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { chatRequestSchema, lastMessageWithRole, messageText } from './chat-request';
import type { ChatRequest } from './chat-request';
import { buildEmbeddingsResponse, embeddingsRequestSchema } from './embeddings';
import { errorBody } from './error-body';
import { buildChatCompletion } from './reply-builder';
import { completionChunks } from './stream-chunks';
import { isReplyTemplateError } from './reply-template';
import { selectRule } from './rule-matcher';
import { seededRandom } from './seeded-random';
import { parseScript } from './script-schema';
import type { ModelScript, ModelScriptInput, ScriptRule } from './script-schema';

/** One HTTP request the scripted server received, kept so tests can check what reached the model. */
export interface RecordedRequest {
  /** 1-based position among all requests recorded since the script was set. */
  sequence: number;
  /** 1-based chat request number (what `callNumber` matches and no-match errors cite); `null` for other routes. */
  requestNumber: number | null;
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** The parsed JSON body; `null` when there was none, the raw text when it was not JSON. */
  body: unknown;
  /** Name of the rule that answered; `null` when no rule did. */
  ruleName: string | null;
  /** HTTP status sent; `null` while the answer is delayed, when the rule hangs, or when the client left first. */
  status: number | null;
  /** When the request arrived (ISO 8601). */
  receivedAt: string;
  /**
   * When the connection closed before an answer was sent (ISO 8601): the client aborted or
   * timed out (or the server was closed); `null` while open or once answered.
   */
  closedUnansweredAt: string | null;
}

/** Options of {@link startScriptedModelServer}. */
export interface ScriptedModelServerOptions {
  /** The script; validated with `parseScript`, so a plain object literal is fine. */
  script: ModelScriptInput;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /**
   * Where script failures (no rule matches, a template without value) are reported besides
   * the HTTP answer. @default a line on stderr
   */
  log?: (line: string) => void;
}

/** A running scripted model server. */
export interface ScriptedModelServer {
  /** `http://HOST:PORT`. */
  url: string;
  /** `url + '/v1'`, what the `openai` client takes as `baseURL`. */
  baseURL: string;
  port: number;
  /**
   * Every chat-completions request since the script was set, in arrival order, with the rule
   * that answered. A live array: it grows as requests arrive.
   */
  requests: RecordedRequest[];
  /** Every request to any route (chat, embeddings, models, unknown), in arrival order. */
  allRequests: RecordedRequest[];
  /**
   * Replaces the script and starts over: rule uses, chat request numbering (`callNumber`)
   * and the recorded requests are reset.
   */
  setScript(script: ModelScriptInput): void;
  /** Stops listening and drops open connections, including hanging ones. */
  close(): Promise<void>;
}

const chatPath = '/v1/chat/completions';
const embeddingsPath = '/v1/embeddings';
const modelsPath = '/v1/models';
const requestsPath = '/__chassis/requests';
const healthPath = '/healthz';

/** Model names a script mentions: its default, its `models`, and `match.model` patterns that are plain names. */
function listedModels(script: ModelScript): string[] {
  const names = [script.defaultModel, ...(script.models ?? [])];
  for (const rule of script.rules) {
    const pattern = rule.match.model;
    // A pattern such as `^gpt-4o$` names one model; anything with other regex syntax does not.
    const plain = pattern === undefined ? null : /^\^?([\w.:/-]+)\$?$/.exec(pattern);
    if (plain?.[1] !== undefined) names.push(plain[1]);
  }
  return [...new Set(names)];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseBody(text: string): { ok: true; value: unknown } | { ok: false; raw: string } {
  if (text.trim() === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, raw: text };
  }
}

function oneLine(text: string, limit: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > limit ? `${flat.slice(0, limit)}…` : flat;
}

/**
 * Starts the scripted OpenAI-compatible model server: a test double that answers chat
 * completions from a script, serves deterministic embeddings and injects faults. It is
 * never a model; when no rule matches it answers 400 `script_exhausted` and says so on the
 * log, so a test that drifts from its script fails loudly. A request with `stream: true`
 * gets the same answer as server-sent chunks in OpenAI's format (usage in a last chunk when
 * `stream_options.include_usage` is set), with the script's or rule's delay between chunks.
 *
 * Routes: `POST /v1/chat/completions`, `POST /v1/embeddings`, `GET /v1/models`,
 * `GET /__chassis/requests` (`{ requests, allRequests }`), `GET /healthz`.
 */
export async function startScriptedModelServer(options: ScriptedModelServerOptions): Promise<ScriptedModelServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let script = parseScript(options.script);
  let usesByRule: number[] = script.rules.map(() => 0);
  let random = seededRandom(script.seed);
  let chatRequestCount = 0;
  const requests: RecordedRequest[] = [];
  const allRequests: RecordedRequest[] = [];
  // Delays are tracked so close() can cancel them instead of writing to closed sockets.
  const pendingTimers = new Set<NodeJS.Timeout>();

  function wait(milliseconds: number): Promise<void> {
    if (milliseconds <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pendingTimers.delete(timer);
        resolve();
      }, milliseconds);
      pendingTimers.add(timer);
    });
  }

  function send(
    response: ServerResponse,
    record: RecordedRequest,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    // The client may have timed out during a delay; there is nobody left to answer.
    if (response.destroyed || response.writableEnded) return;
    record.status = status;
    response.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': `req_scripted_${record.sequence}`,
      ...headers,
    });
    response.end(JSON.stringify(body));
  }

  /** A failure of the script itself: 400 so a well-behaved client does not retry, and logged. */
  function sendScriptFailure(
    response: ServerResponse,
    record: RecordedRequest,
    code: 'script_exhausted' | 'script_template_error',
    message: string,
  ): void {
    log(message);
    send(response, record, 400, errorBody(400, message, { type: code, code }), { 'x-should-retry': 'false' });
  }

  async function answerChat(response: ServerResponse, record: RecordedRequest, body: unknown): Promise<void> {
    const parsed = chatRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? 'body' : issue.path.join('.') || 'body';
      send(response, record, 400, errorBody(400, `invalid chat request: ${where}: ${issue?.message ?? 'invalid'}`));
      return;
    }
    const chatRequest: ChatRequest = parsed.data;

    // Captured now so a setScript() during a delay does not change this answer.
    const activeScript = script;
    const activeUses = usesByRule;
    chatRequestCount += 1;
    const requestNumber = chatRequestCount;
    record.requestNumber = requestNumber;

    const selection = selectRule({
      rules: activeScript.rules,
      request: chatRequest,
      callNumber: requestNumber,
      usesByRule: activeUses,
      random,
    });
    if (selection === undefined) {
      const lastUser = lastMessageWithRole(chatRequest, 'user');
      const lastUserText = oneLine(lastUser === undefined ? '' : messageText(lastUser), 200);
      sendScriptFailure(
        response,
        record,
        'script_exhausted',
        `scripted model server: no rule matches request #${requestNumber} (last user: ${JSON.stringify(lastUserText)})`,
      );
      return;
    }
    activeUses[selection.index] = (activeUses[selection.index] ?? 0) + 1;
    const rule: ScriptRule = selection.rule;
    record.ruleName = rule.name;

    await wait((activeScript.latencyMs ?? 0) + (rule.fault?.latencyMs ?? 0));
    const fault = rule.fault;
    // Never answers; the connection stays open until the client gives up or close() drops it.
    if (fault?.hang === true) return;
    if (fault?.status !== undefined) {
      const message = fault.message ?? `scripted fault: HTTP ${fault.status} from rule "${rule.name}"`;
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      const kind = fault.code === undefined ? undefined : { code: fault.code };
      send(response, record, fault.status, errorBody(fault.status, message, kind), headers);
      return;
    }
    // Cut short before a byte is sent: the client sees a dropped connection.
    if (fault?.disconnectAfterChunks !== undefined && chatRequest.stream !== true) {
      response.destroy();
      return;
    }
    if (rule.reply === undefined) {
      // The schema requires a reply unless the fault has a status or hangs; kept as a guard.
      throw new Error(`rule "${rule.name}" has no reply`);
    }
    try {
      const completion = buildChatCompletion({
        reply: rule.reply,
        usage: rule.usage,
        request: chatRequest,
        requestNumber,
        defaultModel: activeScript.defaultModel,
        createdSeconds: Math.floor(Date.now() / 1000),
      });
      if (chatRequest.stream === true) {
        await streamCompletion(response, record, completion, {
          includeUsage: chatRequest.stream_options?.include_usage === true,
          chunkDelayMs: rule.stream?.chunkDelayMs ?? activeScript.stream?.chunkDelayMs ?? 0,
          disconnectAfterChunks: fault?.disconnectAfterChunks,
        });
      } else {
        send(response, record, 200, completion);
      }
    } catch (error) {
      if (!isReplyTemplateError(error)) throw error;
      sendScriptFailure(
        response,
        record,
        'script_template_error',
        `scripted model server: rule "${rule.name}" cannot answer request #${requestNumber}: ${error.message}`,
      );
    }
  }

  /**
   * Sends a completion as server-sent events the way OpenAI streams it (`data: {chunk}`
   * lines, then `data: [DONE]`), pausing between chunks; stops early when the client leaves
   * or the rule drops the connection after some chunks.
   */
  async function streamCompletion(
    response: ServerResponse,
    record: RecordedRequest,
    completion: ChatCompletion,
    options: { includeUsage: boolean; chunkDelayMs: number; disconnectAfterChunks: number | undefined },
  ): Promise<void> {
    if (response.destroyed || response.writableEnded) return;
    record.status = 200;
    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': `req_scripted_${record.sequence}`,
    });
    const chunks = completionChunks(completion, { includeUsage: options.includeUsage });
    for (const [index, chunk] of chunks.entries()) {
      if (index === options.disconnectAfterChunks) {
        response.destroy();
        return;
      }
      if (index > 0) await wait(options.chunkDelayMs);
      if (response.destroyed) return;
      // Waits until the chunk is handed to the socket, so a disconnect after it does not swallow it.
      await new Promise<void>((resolve) => response.write(`data: ${JSON.stringify(chunk)}\n\n`, () => resolve()));
    }
    response.end('data: [DONE]\n\n');
  }

  async function answerEmbeddings(response: ServerResponse, record: RecordedRequest, body: unknown): Promise<void> {
    const parsed = embeddingsRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? 'body' : issue.path.join('.') || 'body';
      send(
        response,
        record,
        400,
        errorBody(400, `invalid embeddings request: ${where}: ${issue?.message ?? 'invalid'}`),
      );
      return;
    }
    const activeScript = script;
    await wait(activeScript.latencyMs ?? 0);
    send(
      response,
      record,
      200,
      buildEmbeddingsResponse({
        request: parsed.data,
        defaultDimensions: activeScript.embeddings.dimensions,
        defaultModel: activeScript.defaultModel,
      }),
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const text = await readBody(request);

    // Health and introspection are not traffic to the model, so they are not recorded.
    if (path === healthPath && method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === requestsPath && method === 'GET') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ requests, allRequests }));
      return;
    }

    const parsedBody = parseBody(text);
    const record: RecordedRequest = {
      sequence: allRequests.length + 1,
      requestNumber: null,
      method,
      path,
      body: parsedBody.ok ? parsedBody.value : parsedBody.raw,
      ruleName: null,
      status: null,
      receivedAt: new Date().toISOString(),
      closedUnansweredAt: null,
    };
    response.on('close', () => {
      if (!response.writableFinished) record.closedUnansweredAt = new Date().toISOString();
    });
    allRequests.push(record);
    if (path === chatPath) requests.push(record);

    const routes: Record<string, { method: string; answer: () => Promise<void> | void }> = {
      [chatPath]: {
        method: 'POST',
        answer: () => answerChat(response, record, parsedBody.ok ? parsedBody.value : null),
      },
      [embeddingsPath]: {
        method: 'POST',
        answer: () => answerEmbeddings(response, record, parsedBody.ok ? parsedBody.value : null),
      },
      [modelsPath]: {
        method: 'GET',
        answer: () =>
          send(response, record, 200, {
            object: 'list',
            data: listedModels(script).map((id) => ({ id, object: 'model', created: 0, owned_by: 'chassis-scripted' })),
          }),
      },
    };
    const route = routes[path];
    if (route === undefined) {
      send(response, record, 404, errorBody(404, `the scripted model server has no route ${method} ${path}`));
      return;
    }
    if (route.method !== method) {
      send(response, record, 405, errorBody(405, `${path} takes ${route.method}, not ${method}`));
      return;
    }
    if (!parsedBody.ok) {
      send(response, record, 400, errorBody(400, `the request body is not JSON: ${oneLine(parsedBody.raw, 80)}`));
      return;
    }
    await route.answer();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const message = `scripted model server: internal error: ${error instanceof Error ? error.message : String(error)}`;
      log(message);
      if (!response.headersSent && !response.destroyed) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify(errorBody(500, message)));
      }
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('scripted model server: no TCP address');
  // A wildcard host is not an address a client can dial; loopback reaches it.
  const dialHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    baseURL: `${url}/v1`,
    port: address.port,
    requests,
    allRequests,
    setScript(next: ModelScriptInput): void {
      script = parseScript(next);
      usesByRule = script.rules.map(() => 0);
      random = seededRandom(script.seed);
      chatRequestCount = 0;
      // Emptied in place: callers may hold a reference to these arrays.
      requests.length = 0;
      allRequests.length = 0;
    },
    close(): Promise<void> {
      // Idempotent, so an explicit close in a test and a close in afterEach do not clash.
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Hanging and keep-alive connections would otherwise hold close() open forever.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
