import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

import { translateProviderError } from '../../../src/models/provider-errors';
import { startScriptedModelServer } from '../../../src/testing/scripted-model';
import type { ModelScriptInput, ScriptedModelServer } from '../../../src/testing/scripted-model';

const tools: ChatCompletionTool[] = ['calculator', 'clock'].map((name) => ({
  type: 'function',
  function: { name, parameters: { type: 'object', properties: {} } },
}));

/**
 * Jest's node environment runs tests in their own realm, but `fetch` rejects with a
 * DOMException from Node's realm. The openai client's `castToError` then fails its
 * `instanceof Error` check, drops the `AbortError` name and reports a timeout as a plain
 * `APIConnectionError`. Plain Node (the worker, the demo) does not have this problem; this
 * wrapper restores what the client sees there.
 */
const sameRealmAbortFetch: typeof fetch = async (input, init) => {
  try {
    return await fetch(input, init);
  } catch (error) {
    if (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError') {
      const local = new Error((error as { message?: string }).message ?? 'aborted');
      local.name = 'AbortError';
      throw local;
    }
    throw error;
  }
};

describe('scripted model server, through the real openai client', () => {
  let server: ScriptedModelServer | undefined;
  let logged: string[] = [];

  async function start(script: ModelScriptInput): Promise<{ server: ScriptedModelServer; client: OpenAI }> {
    logged = [];
    server = await startScriptedModelServer({ script, log: (line) => logged.push(line) });
    return { server, client: new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 }) };
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers with content and a stop finish reason', async () => {
    const { client } = await start({ rules: [{ name: 'greet', reply: { content: 'Hello from the script.' } }] });
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-test');
    expect(completion.choices[0]?.message.content).toBe('Hello from the script.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('answers with tool calls whose arguments parse and whose ids are deterministic', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'plan',
          reply: {
            toolCalls: [
              { name: 'calculator', arguments: { expression: '2 + 2' } },
              { name: 'clock', arguments: { timezone: 'UTC' } },
            ],
          },
        },
      ],
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'compute' }],
      tools,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    const calls = (choice?.message.tool_calls ?? []).map((call) =>
      call.type === 'function'
        ? { id: call.id, name: call.function.name, args: JSON.parse(call.function.arguments) as unknown }
        : call,
    );
    expect(calls).toEqual([
      { id: 'call_1_0', name: 'calculator', args: { expression: '2 + 2' } },
      { id: 'call_1_1', name: 'clock', args: { timezone: 'UTC' } },
    ]);
  });

  it('reports the usage given by the rule', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'metered',
          reply: { content: 'ok' },
          usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 40 },
        },
      ],
    });
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 100,
      completion_tokens: 20,
      total_tokens: 120,
      prompt_tokens_details: { cached_tokens: 40 },
    });
  });

  it('estimates usage as ceil(characters / 4) when the rule gives none', async () => {
    const { client } = await start({ rules: [{ name: 'estimated', reply: { content: '123456789' } }] });
    // 12 + 5 = 17 characters of prompt → 5 tokens; 9 characters of reply → 3 tokens.
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief now' },
        { role: 'user', content: 'hello' },
      ],
    });
    expect(completion.usage).toMatchObject({
      prompt_tokens: 5,
      completion_tokens: 3,
      total_tokens: 8,
      prompt_tokens_details: { cached_tokens: 0 },
    });
  });

  it('fills templates from the tool results and the last user message', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'answer',
          match: { hasToolResults: true },
          reply: {
            content:
              'Q: {{lastUser}} | calc={{toolResult:calculator}} | clock={{toolResult:clock}} | last={{lastToolResult}}',
          },
        },
      ],
    });
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'what now?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'calculator', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'clock', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'a', content: '409.5' },
      { role: 'tool', tool_call_id: 'b', content: '12:00 UTC' },
    ];
    const completion = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(completion.choices[0]?.message.content).toBe('Q: what now? | calc=409.5 | clock=12:00 UTC | last=12:00 UTC');
  });

  it('fills a JSON field of a tool result, and fails loudly when the field is absent', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'field',
          times: 1,
          reply: { content: 'It is {{toolResult:clock.utc}} ({{toolResult:clock.zone.name}}).' },
        },
        { name: 'missing-field', reply: { content: '{{toolResult:clock.weekday}}' } },
      ],
    });
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'time?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'clock', arguments: '{}' } }],
      },
      {
        role: 'tool',
        tool_call_id: 'c',
        content: JSON.stringify({ utc: '2026-01-02T03:04:05Z', zone: { name: 'UTC' } }),
      },
    ];
    const completion = await client.chat.completions.create({ model: 'm', messages });
    expect(completion.choices[0]?.message.content).toBe('It is 2026-01-02T03:04:05Z (UTC).');
    const failure = await client.chat.completions.create({ model: 'm', messages }).catch((error: unknown) => error);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('script_template_error');
    expect(logged.join('\n')).toContain('{{toolResult:clock.weekday}} has no value');
  });

  it('fails loudly when a template has no value in the request', async () => {
    const { client, server } = await start({
      rules: [{ name: 'needs-clock', reply: { content: 'time: {{toolResult:clock}}' } }],
    });
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((failure as InstanceType<typeof OpenAI.APIError>).code).toBe('script_template_error');
    expect(logged.join('\n')).toContain('{{toolResult:clock}}');
    expect(server.requests[0]?.ruleName).toBe('needs-clock');
  });

  it('skips a rule once its times are spent and lets the next rule answer', async () => {
    const { client, server } = await start({
      rules: [
        { name: 'first-two', times: 2, reply: { content: 'early' } },
        { name: 'afterwards', reply: { content: 'late' } },
      ],
    });
    const answers: Array<string | null | undefined> = [];
    for (let turn = 0; turn < 3; turn += 1) {
      const completion = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
      });
      answers.push(completion.choices[0]?.message.content);
    }
    expect(answers).toEqual(['early', 'early', 'late']);
    expect(server.requests.map((request) => request.ruleName)).toEqual(['first-two', 'first-two', 'afterwards']);
  });

  it('answers a callNumber rule only on that request', async () => {
    const { client } = await start({
      rules: [
        { name: 'second', match: { callNumber: 2 }, reply: { content: 'two' } },
        { name: 'other', reply: { content: 'not two' } },
      ],
    });
    const contents: Array<string | null | undefined> = [];
    for (let turn = 0; turn < 3; turn += 1) {
      const completion = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
      });
      contents.push(completion.choices[0]?.message.content);
    }
    expect(contents).toEqual(['not two', 'two', 'not two']);
  });

  it('fails loudly with a 400 naming the request number when no rule matches', async () => {
    const { client, server } = await start({
      rules: [{ name: 'only-weather', match: { lastUser: 'weather' }, reply: { content: 'sunny' } }],
    });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'the weather?' }] });
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'tell me a joke' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    const apiError = failure as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toBe('script_exhausted');
    expect(apiError.message).toContain('no rule matches request #2');
    expect(apiError.message).toContain('"tell me a joke"');
    expect(apiError.headers?.get('x-should-retry')).toBe('false');
    expect(logged).toEqual(['scripted model server: no rule matches request #2 (last user: "tell me a joke")']);
    expect(server.requests[1]).toMatchObject({ requestNumber: 2, ruleName: null, status: 400 });
  });

  it('injects a 429 with a Retry-After header, then answers from the next rule', async () => {
    const { client } = await start({
      rules: [
        { name: 'rate-limited', times: 1, fault: { status: 429, retryAfterSeconds: 1 } },
        { name: 'recovered', reply: { content: 'ok now' } },
      ],
    });
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = failure as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.headers?.get('retry-after')).toBe('1');
    expect(apiError.type).toBe('rate_limit_error');
    expect(apiError.message).toContain('rate-limited');
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('ok now');
  });

  it('injects a 500 with the scripted message', async () => {
    const { client } = await start({
      rules: [{ name: 'broken', fault: { status: 500, message: 'upstream exploded' } }],
    });
    const failure = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    const apiError = failure as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(500);
    expect(apiError.message).toContain('upstream exploded');
    expect(apiError.headers?.get('retry-after')).toBeNull();
  });

  it('answers a prompt over minPromptTokens with the code OpenAI sends for a context that is too long', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'window-exceeded',
          match: { minPromptTokens: 50 },
          fault: { status: 400, code: 'context_length_exceeded', message: 'the prompt was rejected' },
        },
        { name: 'fits', reply: { content: 'short enough' } },
      ],
    });
    // The server counts ceil(characters / 4): 200 characters are 50 tokens, 196 are 49.
    const long = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(200) }] })
      .catch((error: unknown) => error);
    expect(long).toBeInstanceOf(OpenAI.BadRequestError);
    expect((long as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded');
    // The one translation of provider errors recognises it by its code alone.
    expect(translateProviderError(long, 'm').type).toBe('Model.ContextTooLong');
    const short = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x'.repeat(196) }],
    });
    expect(short.choices[0]?.message.content).toBe('short enough');
  });

  it('delivers malformed rawArguments verbatim', async () => {
    const { client } = await start({
      rules: [{ name: 'garbled', reply: { toolCalls: [{ name: 'calculator', rawArguments: '{"expression": "1+' }] } }],
    });
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      tools,
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? call.function.arguments : undefined).toBe('{"expression": "1+');
  });

  it('delays the answer by the script latency plus the rule latency', async () => {
    const { client } = await start({
      latencyMs: 100,
      rules: [{ name: 'slow', fault: { latencyMs: 150 }, reply: { content: 'eventually' } }],
    });
    const started = performance.now();
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const elapsed = performance.now() - started;
    expect(completion.choices[0]?.message.content).toBe('eventually');
    // Timers run on libuv's cached loop clock, which may lag real time by a millisecond or two.
    expect(elapsed).toBeGreaterThanOrEqual(245);
  });

  it('hangs until the client times out, and close() still returns', async () => {
    const { server } = await start({ rules: [{ name: 'stuck', fault: { hang: true } }] });
    const impatient = new OpenAI({
      apiKey: 'test',
      baseURL: server.baseURL,
      maxRetries: 0,
      timeout: 300,
      fetch: sameRealmAbortFetch,
    });
    const failure = await impatient.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(server.requests[0]).toMatchObject({ ruleName: 'stuck', status: null });
    await server.close();
  });

  it('lists the default model, the listed models and plain model names from rules', async () => {
    const { client } = await start({
      defaultModel: 'scripted-default',
      models: ['gpt-listed'],
      rules: [
        { name: 'exact', match: { model: '^gpt-4o-mini$' }, reply: { content: 'x' } },
        { name: 'pattern', match: { model: 'gpt-(a|b)' }, reply: { content: 'y' } },
      ],
    });
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(['scripted-default', 'gpt-listed', 'gpt-4o-mini']);
  });

  it('records every chat request with its messages, rule and status', async () => {
    const { client, server } = await start({
      rules: [{ name: 'echo', reply: { content: 'heard you' } }],
    });
    await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'be terse' },
        { role: 'user', content: 'first question' },
      ],
      tools,
    });
    await client.embeddings.create({ model: 'embedder', input: 'not a chat request' });

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({
      sequence: 1,
      requestNumber: 1,
      method: 'POST',
      path: '/v1/chat/completions',
      ruleName: 'echo',
      status: 200,
      body: {
        model: 'gpt-test',
        messages: [
          { role: 'system', content: 'be terse' },
          { role: 'user', content: 'first question' },
        ],
      },
    });
    expect(server.allRequests.map((request) => request.path)).toEqual(['/v1/chat/completions', '/v1/embeddings']);

    // The same records over HTTP, for a server running in another process.
    const overHttp = (await (await fetch(`${server.url}/__chassis/requests`)).json()) as {
      requests: unknown[];
      allRequests: unknown[];
    };
    expect(overHttp.requests).toEqual(JSON.parse(JSON.stringify(server.requests)));
    expect(overHttp.allRequests).toHaveLength(2);
  });

  it('starts over on setScript: new rules, fresh uses and numbering, empty records', async () => {
    const { client, server } = await start({ rules: [{ name: 'old', times: 1, reply: { content: 'old' } }] });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    const requests = server.requests;
    server.setScript({ rules: [{ name: 'new', match: { callNumber: 1 }, reply: { content: 'new' } }] });
    expect(requests).toHaveLength(0);
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('new');
    expect(requests).toEqual([expect.objectContaining({ ruleName: 'new', requestNumber: 1 })]);
  });

  it('answers health checks, and 404 with a JSON error on unknown routes', async () => {
    const { server } = await start({ rules: [{ name: 'any', reply: { content: 'x' } }] });
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const missing = await fetch(`${server.baseURL}/responses`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(404);
    const body = (await missing.json()) as { error: { message: string; type: string } };
    expect(body.error.type).toBe('not_found_error');
    expect(body.error.message).toContain('POST /v1/responses');
  });

  it('rejects a body that is not JSON or not a chat request', async () => {
    const { server } = await start({ rules: [{ name: 'any', reply: { content: 'x' } }] });
    const notJson = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', body: '{oops' });
    expect(notJson.status).toBe(400);
    const noMessages = await fetch(`${server.baseURL}/chat/completions`, { method: 'POST', body: '{"model":"m"}' });
    expect(noMessages.status).toBe(400);
    expect(((await noMessages.json()) as { error: { message: string } }).error.message).toContain('messages');
    // Neither consumed a request number.
    expect(server.requests.map((request) => request.requestNumber)).toEqual([null, null]);
  });
});
