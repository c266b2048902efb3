import { z } from 'zod';
import { firstSentence, formatToolList } from '../../src/client/commands/tools';
import { DEFAULT_TOOL_POLICY } from '../../src/contracts/tools';
import { builtInTools } from '../../src/tools/builtin';
import { excerptOutput } from '../../src/tools/output-store';
import { formatDuration, resolvePolicy, summarizePolicy } from '../../src/tools/policy';
import { ToolRegistry } from '../../src/tools/registry';
import { defineTool } from '../../src/tools/tool';

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks things up. Use it for facts.',
  input: z.object({ q: z.string() }),
  example: { q: 'x' },
  policy: { cacheTtlSeconds: 3600, timeoutMs: 2_000, fallback: 'calculator', version: '3' },
  async execute({ q }) {
    return q;
  },
});

describe('tool policies', () => {
  test('declared fields are merged over the default policy', () => {
    expect(resolvePolicy(lookup)).toEqual({
      ...DEFAULT_TOOL_POLICY,
      cacheTtlSeconds: 3600,
      timeoutMs: 2_000,
      fallback: 'calculator',
      version: '3',
    });
    expect(resolvePolicy({ name: 'plain' })).toEqual(DEFAULT_TOOL_POLICY);
    expect(resolvePolicy({ name: 'explicit-undefined', policy: { timeoutMs: undefined } }).timeoutMs).toBe(30_000);
  });

  test('contradictions are refused at registration', () => {
    expect(() => resolvePolicy({ name: 'w', policy: { idempotent: false, cacheTtlSeconds: 60 } })).toThrow(
      /side effects .* cannot be cached/,
    );
    expect(() => resolvePolicy({ name: 'w', policy: { maxOutputChars: 10 } })).toThrow(/maxOutputChars/);
    // A local tool runs inside a workflow task: no side effects, no people, nothing long.
    expect(() => resolvePolicy({ name: 'w', policy: { local: true, idempotent: false } })).toThrow(
      /a local tool must have no side effects/,
    );
    expect(() => resolvePolicy({ name: 'w', policy: { local: true, requiresApproval: true } })).toThrow(
      /a local tool cannot wait for a person/,
    );
    expect(() => resolvePolicy({ name: 'w', policy: { local: true, timeoutMs: 60_000 } })).toThrow(
      /a local tool must finish within 10 s/,
    );
    expect(resolvePolicy({ name: 'pure', policy: { local: true, timeoutMs: 2_000 } }).local).toBe(true);
    expect(() => new ToolRegistry([{ ...lookup, name: 'bad name' } as never])).toThrow(
      /tool name "bad name" is invalid/,
    );
  });

  test('descriptors carry the definition and the full policy', () => {
    const registry = new ToolRegistry([...builtInTools(), lookup as never]);
    const [descriptor] = registry.descriptors(['lookup']);
    expect(descriptor).toEqual({
      name: 'lookup',
      description: 'Looks things up. Use it for facts.',
      parameters: expect.objectContaining({ type: 'object', required: ['q'] }),
      policy: expect.objectContaining({ cacheTtlSeconds: 3600, maximumAttempts: 3, requiresApproval: false }),
    });
    // A descriptor is a ToolDefinition too: the definitions are the same objects minus the policy.
    const { policy: _policy, ...definition } = descriptor as NonNullable<typeof descriptor>;
    expect(registry.definitions(['lookup'])).toEqual([definition]);
  });

  test('a fallback that is not registered is reported', () => {
    const registry = new ToolRegistry([lookup as never]);
    expect(() => registry.descriptors()).toThrow(/names fallback "calculator", which is not registered/);
  });

  test('summaries and durations read well', () => {
    expect(summarizePolicy(resolvePolicy(lookup))).toBe(
      'timeout 2s, 3 attempts, cache 1h, no approval, fallback calculator',
    );
    expect(
      summarizePolicy({ ...DEFAULT_TOOL_POLICY, idempotent: false, requiresApproval: true, maximumAttempts: 1 }),
    ).toBe('timeout 30s, 1 attempt, no cache, approval required, no fallback, side effects');
    expect(summarizePolicy({ ...DEFAULT_TOOL_POLICY, idempotent: false, acceptsIdempotencyKey: true })).toBe(
      'timeout 30s, 3 attempts, no cache, no approval, no fallback, side effects (deduplicated by idempotency key)',
    );
    expect([formatDuration(0.5), formatDuration(90), formatDuration(86_400 + 60)]).toEqual(['0.5s', '1m30s', '1d1m']);
  });
});

describe('chassis tools list output', () => {
  test('one entry per tool: name, first sentence, policy summary', () => {
    const registry = new ToolRegistry(builtInTools());
    expect(formatToolList(registry.descriptors())).toBe(
      'calculator  Evaluates a math expression exactly and returns the number.\n' +
        '            timeout 5s, 2 attempts, no cache, no approval, no fallback, local (runs in the workflow task)\n' +
        'clock       Returns the current date and time.\n' +
        '            timeout 5s, 2 attempts, no cache, no approval, no fallback, local (runs in the workflow task)\n',
    );
    expect(firstSentence('Adds numbers (e.g. 1+2). More text.')).toBe('Adds numbers (e.g. 1+2).');
    expect(firstSentence('No full stop')).toBe('No full stop');
  });
});

describe('excerpts of long outputs', () => {
  const output = 'x'.repeat(10_000);

  test('fit in the limit, say how much is shown and where the rest is', () => {
    const ref = `tool-output:${'a'.repeat(64)}`;
    const excerpt = excerptOutput(output, 1_000, ref, 'tool_output_read');
    expect(excerpt.text.length).toBeLessThanOrEqual(1_000);
    expect(excerpt.text).toContain(`showing characters 1-${excerpt.shownChars} of 10000`);
    expect(excerpt.text).toContain(`Full output stored as ${ref}`);
    expect(excerpt.text).toContain(`tool_output_read {"ref":"${ref}","offset":${excerpt.shownChars}}`);
    expect(excerpt.shownChars).toBeGreaterThan(700);
  });

  test('say when the rest could not be stored', () => {
    expect(excerptOutput(output, 500, undefined).text).toMatch(/not stored \(no database configured\)/);
  });

  test('never split a surrogate pair', () => {
    const emoji = '😀'.repeat(1_000);
    const excerpt = excerptOutput(emoji, 501, undefined);
    expect(excerpt.shownChars % 2).toBe(0);
  });
});
