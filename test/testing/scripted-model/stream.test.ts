import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionTool } from 'openai/resources/chat/completions';

import { startScriptedModelServer } from '../../../src/testing/scripted-model';
import type { ModelScriptInput, ScriptedModelServer } from '../../../src/testing/scripted-model';

const tools: ChatCompletionTool[] = ['calculator', 'clock'].map((name) => ({
  type: 'function',
  function: { name, parameters: { type: 'object', properties: {} } },
}));

const ANSWER = 'Seventeen and a half percent of 2,340 is 409.5, computed with the calculator.';

describe('scripted model server streaming, through the real openai client', () => {
  let server: ScriptedModelServer | undefined;

  async function start(script: ModelScriptInput): Promise<{ server: ScriptedModelServer; client: OpenAI }> {
    server = await startScriptedModelServer({ script, log: () => undefined });
    return { server, client: new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 }) };
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    return chunks;
  }

  it('streams the content as word deltas that join back exactly, with usage in a last chunk', async () => {
    const { client } = await start({ rules: [{ name: 'answer', reply: { content: ANSWER } }] });
    const messages = [{ role: 'user' as const, content: 'what is 17.5% of 2340?' }];
    const whole = await client.chat.completions.create({ model: 'gpt-test', messages });
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'gpt-test',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? ''));
    expect(deltas.filter((delta) => delta !== '').length).toBe(ANSWER.split(' ').length);
    expect(deltas.join('')).toBe(ANSWER);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.model === 'gpt-test')).toBe(true);
    const finishing = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason));
    expect(finishing.filter((reason) => reason !== null)).toEqual(['stop']);
    // Usage only in the last chunk, which has no choices, and equal to the unstreamed answer's.
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual(whole.usage);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
  });

  it('sends no usage unless the request asks for it', async () => {
    const { client } = await start({ rules: [{ name: 'answer', reply: { content: 'short answer' } }] });
    const chunks = await collect(
      await client.chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    );
    expect(chunks.every((chunk) => chunk.usage === undefined)).toBe(true);
    expect(chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('')).toBe(
      'short answer',
    );
  });

  it('streams tool calls as deltas (id and name first, arguments in pieces) that assemble into the calls', async () => {
    const { client } = await start({
      rules: [
        {
          name: 'plan',
          reply: {
            toolCalls: [
              { name: 'calculator', arguments: { expression: '2340 * 0.175', precision: 'exact to the cent' } },
              { name: 'clock', arguments: { timezone: 'UTC' } },
            ],
          },
        },
      ],
    });
    const request = { model: 'gpt-test', messages: [{ role: 'user' as const, content: 'compute' }], tools };
    const whole = await client.chat.completions.create(request);
    const chunks = await collect(await client.chat.completions.create({ ...request, stream: true }));
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    const firstOfEach = [0, 1].map((index) => toolDeltas.find((delta) => delta.index === index));
    expect(firstOfEach.map((delta) => [delta?.id, delta?.function?.name])).toEqual([
      ['call_2_0', 'calculator'],
      ['call_2_1', 'clock'],
    ]);
    // The longer arguments come in several pieces that carry neither id nor name.
    const calculatorPieces = toolDeltas.filter((delta) => delta.index === 0 && delta.id === undefined);
    expect(calculatorPieces.length).toBeGreaterThan(2);
    expect(calculatorPieces.every((delta) => delta.function?.name === undefined)).toBe(true);

    // The openai client's own stream helper assembles them into the same calls as the unstreamed answer.
    const assembled = await client.chat.completions.stream(request).finalChatCompletion();
    const expected = whole.choices[0]?.message.tool_calls?.map((call, index) => ({
      ...call,
      id: `call_3_${index}`,
    }));
    expect(assembled.choices[0]?.message.tool_calls).toEqual(expected);
    expect(assembled.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('pauses between chunks as the rule says, over the script-wide delay', async () => {
    // A script-wide pause the test would never sit through: only the first chunk comes.
    const { client, server: scripted } = await start({
      stream: { chunkDelayMs: 600_000 },
      rules: [
        {
          name: 'quick',
          match: { lastUser: 'quick' },
          reply: { content: 'no waiting here' },
          stream: { chunkDelayMs: 0 },
        },
        { name: 'slow', reply: { content: 'one word at a time' } },
      ],
    });
    const quick = await collect(
      await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'quick' }],
        stream: true,
      }),
    );
    expect(quick.flatMap((chunk) => chunk.choices.map((choice) => choice.delta.content ?? '')).join('')).toBe(
      'no waiting here',
    );

    const abort = new AbortController();
    const slow = await client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'slow' }], stream: true },
      { signal: abort.signal },
    );
    const iterator = slow[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect(first.value?.choices[0]?.delta.role).toBe('assistant');
    // The rest waits on the delay: the request is still open, answered with 200 so far.
    expect(scripted.requests[1]).toMatchObject({ ruleName: 'slow', status: 200, closedUnansweredAt: null });
    abort.abort();
    await iterator.return?.();
  });

  it('drops the connection mid-stream when the rule says so', async () => {
    const { client, server: scripted } = await start({
      rules: [{ name: 'flaky', reply: { content: ANSWER }, fault: { disconnectAfterChunks: 3 } }],
    });
    const received: string[] = [];
    const failure = await (async () => {
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      });
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((error: unknown) => error);
    // undici's "terminated" (a TypeError from Node's realm, so no instanceof check under jest).
    expect((failure as Error).message).toMatch(/terminated/);
    // The role chunk and two words arrived before the cut.
    expect(received.join('')).toBe(ANSWER.split(' ').slice(0, 2).join(' ') + ' ');
    expect(scripted.requests[0]?.closedUnansweredAt).not.toBeNull();

    const unstreamed = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error);
    expect(unstreamed).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('refuses a disconnect that goes with an error status', async () => {
    await expect(
      startScriptedModelServer({
        script: { rules: [{ name: 'bad', fault: { status: 500, disconnectAfterChunks: 1 } }] },
        log: () => undefined,
      }),
    ).rejects.toThrow(/disconnectAfterChunks.*cannot go with a "status"/);
  });
});
