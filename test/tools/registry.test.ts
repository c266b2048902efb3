import { z } from 'zod';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';
import { PermanentToolError, TransientToolError } from '../../src/tools/tool-errors';

const context = {
  idempotencyKey: 'wf/step-1/call-1',
  signal: new AbortController().signal,
  heartbeat: () => undefined,
};
const registry = new ToolRegistry(builtInTools({ now: () => new Date('2026-03-04T05:06:07Z') }));

function call(name: string, args: unknown) {
  return { id: 'call-1', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
}

describe('ToolRegistry', () => {
  test('definitions carry a JSON Schema of each input for the model', () => {
    const [calculator] = registry.definitions(['calculator']);
    expect(calculator?.parameters).toMatchObject({
      type: 'object',
      properties: { expression: { type: 'string' } },
      required: ['expression'],
    });
    expect(calculator?.description).toMatch(/Use it for any arithmetic/);
  });

  test('asking for an unknown tool definition is an error, not a silent skip', () => {
    expect(() => registry.definitions(['calculator', 'teleport'])).toThrow(
      /unknown tools teleport; registered tools: calculator, clock/,
    );
  });

  test('the calculator evaluates exactly and hides float noise', async () => {
    expect(await registry.execute(call('calculator', { expression: '2340 * 0.175' }), context)).toEqual({
      callId: 'call-1',
      name: 'calculator',
      ok: true,
      output: '409.5',
    });
  });

  test('a calculator error is a permanent observation', async () => {
    const result = await registry.execute(call('calculator', { expression: 'import("fs")' }), context);
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
  });

  test('the clock reads the injected time in the asked zone', async () => {
    const result = await registry.execute(call('clock', { timezone: 'Asia/Tokyo' }), context);
    expect(result.ok && JSON.parse(result.output)).toEqual({
      utc: '2026-03-04T05:06:07.000Z',
      timezone: 'Asia/Tokyo',
      local: '2026-03-04, 14:06:07',
      weekday: 'Wednesday',
    });
    const bad = await registry.execute(call('clock', { timezone: 'Mars/Olympus' }), context);
    expect(bad).toMatchObject({ ok: false, error: { type: 'Tool.Permanent' } });
  });

  test('schema violations name the field and show an example', async () => {
    const result = await registry.execute(call('calculator', { expr: '1+1' }), context);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.type).toBe('Tool.InvalidArguments');
    expect(result.error.message).toContain('expression:');
    expect(result.error.message).toContain('Example of valid arguments: {"expression":"2340 * 0.175"}');
  });

  test('unparseable JSON is an observation with an example', async () => {
    const result = await registry.execute(call('calculator', '{"expression": '), context);
    expect(result).toMatchObject({ ok: false, error: { type: 'Tool.InvalidArguments' } });
  });

  test('an unknown tool lists the available ones', async () => {
    const result = await registry.execute(call('weather', {}), context);
    expect(result).toMatchObject({
      ok: false,
      error: { type: 'Tool.Unknown', message: 'unknown tool "weather"; available tools: calculator, clock' },
    });
  });

  test('transient errors are thrown for the engine to retry; permanent ones are observations', async () => {
    const flaky = new ToolRegistry([
      defineTool({
        name: 'flaky',
        description: 'fails',
        input: z.object({ permanent: z.boolean() }),
        example: { permanent: false },
        async execute({ permanent }) {
          if (permanent) throw new PermanentToolError('record 7 does not exist');
          throw new TransientToolError('upstream 503');
        },
      }),
    ]);
    await expect(flaky.execute(call('flaky', { permanent: false }), context)).rejects.toThrow('upstream 503');
    expect(await flaky.execute(call('flaky', { permanent: true }), context)).toMatchObject({
      ok: false,
      error: { type: 'Tool.Permanent', message: 'flaky failed: record 7 does not exist' },
    });
  });

  test('names are unique', () => {
    expect(() => new ToolRegistry([...builtInTools(), ...builtInTools()])).toThrow(/registered twice/);
  });
});
