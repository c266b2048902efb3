import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelCallInput } from '../../src/contracts/activities';
import { ModelCatalog } from '../../src/models/catalog';
import { parseModelCatalog } from '../../src/models/catalog-schema';
import { ModelGateway } from '../../src/models/model-gateway';
import type { ScriptedModelServer } from '../../src/testing/scripted-model';
import { startQuietScriptedModel } from '../../src/testing/scripted-stack';

// The gateway streams every call (unless its endpoint says otherwise) from the scripted
// OpenAI-compatible server, through the real openai client, and assembles the same result.

const ANSWER = 'Seventeen and a half percent of 2,340 is 409.5.';
const TOOL_CALLS: { name: string; arguments: Record<string, string> }[] = [
  { name: 'calculator', arguments: { expression: '2340 * 0.175', note: 'a long argument, sent in pieces' } },
  { name: 'clock', arguments: { timezone: 'UTC' } },
];

let server: ScriptedModelServer;

beforeAll(async () => {
  server = await startQuietScriptedModel({ rules: [{ name: 'x', reply: { content: 'x' } }] });
});

afterAll(() => server.close());

const price = { input: 1, cachedInput: 0.5, output: 4 };

function gateway(warnings: string[] = []): ModelGateway {
  const catalog = new ModelCatalog(
    parseModelCatalog({
      endpoints: {
        streamed: { baseUrl: server.baseURL },
        'no-usage': { baseUrl: server.baseURL, streaming: 'without-usage' },
        whole: { baseUrl: server.baseURL, streaming: 'off' },
      },
      models: [
        { id: 'streamed-model', endpoint: 'streamed', price, contextWindow: 100_000 },
        { id: 'no-usage-model', endpoint: 'no-usage', price, contextWindow: 100_000 },
        { id: 'whole-model', endpoint: 'whole', price, contextWindow: 100_000 },
      ],
      tiers: { small: ['streamed-model'], large: ['whole-model'] },
    }),
  );
  return new ModelGateway({ catalog, timeoutMs: 5_000, environment: {}, warn: (line) => warnings.push(line) });
}

function call(model: string, extra: Partial<ModelCallInput> = {}): ModelCallInput {
  return { model, messages: [{ role: 'user', content: 'What is 17.5% of 2,340?' }], ...extra };
}

const tools = ['calculator', 'clock'].map((name) => ({
  name,
  description: name,
  parameters: { type: 'object', properties: {} },
}));

type SentBody = { stream?: boolean; stream_options?: { include_usage?: boolean } };
const sentBody = (index: number) => server.requests[index]?.body as SentBody;

describe('ModelGateway streaming', () => {
  test('streams the answer: every chunk reaches onChunk, the texts join into the content, usage comes from the last chunk', async () => {
    server.setScript({
      rules: [{ name: 'answer', reply: { content: ANSWER }, usage: { inputTokens: 500, outputTokens: 12 } }],
    });
    const texts: string[] = [];
    const result = await gateway().complete(call('streamed-model'), { onChunk: (text) => texts.push(text) });
    expect(sentBody(0)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(texts.filter((text) => text !== '')).toEqual(ANSWER.match(/\S+\s*/g));
    // The role chunk, the finish chunk and the usage chunk carry no text but still count as signs of life.
    expect(texts.length).toBeGreaterThan(ANSWER.split(' ').length + 2);
    expect(result).toMatchObject({
      model: 'streamed-model',
      content: ANSWER,
      toolCalls: [],
      finishReason: 'stop',
      usage: { inputTokens: 500, cachedInputTokens: 0, outputTokens: 12 },
    });
    expect(result.costUsd).toBeCloseTo((500 * 1 + 12 * 4) / 1e6, 12);
  });

  test('tool-call deltas assemble into the same calls an unstreamed answer has', async () => {
    server.setScript({ rules: [{ name: 'tools', reply: { toolCalls: TOOL_CALLS } }] });
    const models = gateway();
    const streamed = await models.complete(call('streamed-model', { tools }));
    const whole = await models.complete(call('whole-model', { tools }));
    expect(sentBody(0).stream).toBe(true);
    expect(sentBody(1).stream).toBeUndefined();
    expect(streamed.toolCalls).toEqual([
      { id: 'call_1_0', name: 'calculator', arguments: JSON.stringify(TOOL_CALLS[0]?.arguments) },
      { id: 'call_1_1', name: 'clock', arguments: '{"timezone":"UTC"}' },
    ]);
    expect(whole.toolCalls.map(({ name, arguments: text }) => ({ name, text }))).toEqual(
      streamed.toolCalls.map(({ name, arguments: text }) => ({ name, text })),
    );
    expect([streamed.content, streamed.finishReason]).toEqual([whole.content, whole.finishReason]);
    expect(streamed.usage).toEqual(whole.usage);
  });

  test('an endpoint that streams without usage gets no stream_options, and its usage is counted (said once)', async () => {
    server.setScript({ rules: [{ name: 'answer', reply: { content: ANSWER } }] });
    const warnings: string[] = [];
    const models = gateway(warnings);
    const first = await models.complete(call('no-usage-model'));
    await models.complete(call('no-usage-model'));
    expect(sentBody(0).stream).toBe(true);
    expect(sentBody(0).stream_options).toBeUndefined();
    expect(first.content).toBe(ANSWER);
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeGreaterThan(5);
    expect(first.costUsd).toBeGreaterThan(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/endpoint "no-usage" sent no token usage; counting it with the worker's tokenizer/);
  });

  test('an endpoint with streaming off is asked for a whole answer, and onChunk is not called', async () => {
    server.setScript({ rules: [{ name: 'answer', reply: { content: ANSWER } }] });
    const texts: string[] = [];
    const result = await gateway().complete(call('whole-model'), { onChunk: (text) => texts.push(text) });
    expect(sentBody(0).stream).toBeUndefined();
    expect(texts).toEqual([]);
    expect(result.content).toBe(ANSWER);
  });

  test('a stream cut mid-answer is a retryable Model.Unavailable', async () => {
    server.setScript({ rules: [{ name: 'cut', reply: { content: ANSWER }, fault: { disconnectAfterChunks: 4 } }] });
    const texts: string[] = [];
    const failure = await gateway()
      .complete(call('streamed-model'), { onChunk: (text) => texts.push(text) })
      .then(
        () => undefined,
        (error: unknown) => error as { type?: string; nonRetryable?: boolean; message: string },
      );
    expect(failure).toMatchObject({ type: 'Model.Unavailable', nonRetryable: false });
    // Some of the answer had arrived: a retry streams it again from the start.
    expect(texts.join('')).toBe('Seventeen and a ');
  });

  test('cancelling the call mid-stream stops it', async () => {
    server.setScript({ rules: [{ name: 'slow', reply: { content: ANSWER }, stream: { chunkDelayMs: 60_000 } }] });
    const controller = new AbortController();
    const outcome = gateway()
      .complete(call('streamed-model'), {
        signal: controller.signal,
        // The first chunk came; the second waits a minute: cancel now.
        onChunk: () => controller.abort(),
      })
      .then(
        () => 'answered',
        (error: unknown) => error as { type?: string; message: string },
      );
    expect(await outcome).toMatchObject({ type: 'Model.Unavailable', message: expect.stringMatching(/cancelled/) });
    // The server sees the connection close a moment later.
    for (let waited = 0; server.requests[0]?.closedUnansweredAt === null && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(server.requests[0]?.closedUnansweredAt).not.toBeNull();
  });
});

describe('a server that ignores stream: true', () => {
  let plain: Server;
  beforeAll(async () => {
    plain = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 0,
            model: 'm',
            choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'whole answer' } }],
            usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => plain.close(() => resolve())));

  test('is still understood: its whole JSON answer is read', async () => {
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/v1`;
    const models = new ModelGateway({
      catalog: new ModelCatalog(),
      timeoutMs: 5_000,
      singleEndpoint: { baseUrl: url },
    });
    const result = await models.complete(call('gpt-4.1-mini'));
    expect(result).toMatchObject({ content: 'whole answer', usage: { inputTokens: 7, outputTokens: 2 } });
  });
});
