import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { StreamAssembly } from '../../src/models/stream-assembly';

function chunk(delta: ChatCompletionChunk.Choice.Delta, finishReason: string | null = null): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finishReason as ChatCompletionChunk.Choice['finish_reason'] }],
  };
}

describe('StreamAssembly', () => {
  test('joins content deltas and returns the text each one adds', () => {
    const assembly = new StreamAssembly();
    const added = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello ' }),
      chunk({ content: 'world' }),
      chunk({}, 'stop'),
    ].map((piece) => assembly.add(piece));
    expect(added).toEqual(['', 'Hello ', 'world', '']);
    expect(assembly.answer()).toEqual({
      content: 'Hello world',
      toolCalls: [],
      finishReason: 'stop',
      usage: undefined,
    });
  });

  test('assembles interleaved tool calls by index: id and name from the first delta, arguments joined', () => {
    const assembly = new StreamAssembly();
    for (const piece of [
      chunk({ role: 'assistant' }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'clock', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'calculator' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"expr' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      // A server that repeats the name on later deltas does not double it.
      chunk({ tool_calls: [{ index: 0, function: { name: 'calculator', arguments: 'ession":"1+1"}' } }] }),
      chunk({}, 'tool_calls'),
    ])
      assembly.add(piece);
    expect(assembly.answer()).toEqual({
      content: null,
      toolCalls: [
        { id: 'call_a', name: 'calculator', arguments: '{"expression":"1+1"}' },
        { id: 'call_b', name: 'clock', arguments: '{}' },
      ],
      finishReason: 'tool_calls',
      usage: undefined,
    });
  });

  test('takes usage from the chunk without choices that ends the stream', () => {
    const assembly = new StreamAssembly();
    assembly.add(chunk({ content: 'ok' }, 'stop'));
    assembly.add({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } },
    });
    expect(assembly.answer().usage).toEqual({ inputTokens: 10, cachedInputTokens: 4, outputTokens: 1 });
  });

  test('an empty answer stays an empty string, as unstreamed; a stream that said nothing has no content', () => {
    const empty = new StreamAssembly();
    empty.add(chunk({ role: 'assistant', content: '' }, 'stop'));
    expect(empty.answer().content).toBe('');
    expect(new StreamAssembly().answer()).toMatchObject({ content: null, finishReason: 'unknown' });
  });
});
