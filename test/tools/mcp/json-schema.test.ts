import { exampleFromJsonSchema, jsonSchemaToZod, modelFacingSchema } from '../../../src/tools/mcp/json-schema';
import { mcpToolName, mcpToolPolicy, renderMcpResult } from '../../../src/tools/mcp/mcp-tools';
import { parseMcpServersConfig } from '../../../src/config/mcp-servers';

// A schema as an MCP server sends it (draft-07, as the SDK's zod-to-json-schema emits).
const searchSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 50 },
    sort: { type: 'string', enum: ['relevance', 'date'] },
    filters: {
      type: 'object',
      properties: { lang: { type: 'string' } },
      required: ['lang'],
      additionalProperties: false,
    },
  },
  required: ['query', 'sort'],
  additionalProperties: false,
};

describe('MCP input schemas', () => {
  const { schema, warning } = jsonSchemaToZod(searchSchema);

  test('are converted with zod and validate arguments', () => {
    expect(warning).toBeUndefined();
    expect(schema.safeParse({ query: 'cats', sort: 'date', limit: 5 }).success).toBe(true);
    expect(schema.safeParse({ query: 'cats', sort: 'date', filters: { lang: 'en' } }).success).toBe(true);
  });

  test('report each violation with its field', () => {
    const result = schema.safeParse({ query: '', sort: 'newest', limit: 0.5, extra: 1, filters: {} });
    expect(result.success).toBe(false);
    const fields = result.error?.issues.map((issue) => issue.path.join('.') || '(arguments)').sort();
    expect(fields).toEqual(['(arguments)', 'filters.lang', 'limit', 'query', 'sort']);
  });

  test('go to the model as sent, minus $schema', () => {
    const facing = modelFacingSchema(searchSchema);
    expect(facing).not.toHaveProperty('$schema');
    expect(facing.properties).toEqual(searchSchema.properties);
    expect(modelFacingSchema({})).toEqual({ type: 'object', properties: {} });
  });

  test('give an example that passes their own validation', () => {
    const example = exampleFromJsonSchema(searchSchema);
    expect(example).toEqual({ query: 'text', sort: 'relevance' });
    expect(schema.safeParse(example).success).toBe(true);
  });

  test('fall back to "any object" when zod cannot convert them, with a warning', () => {
    const converted = jsonSchemaToZod({
      type: 'object',
      properties: { a: { $ref: 'https://example.com/other.json' } },
    });
    if (converted.warning === undefined) {
      // This zod version converts it: then it must still accept an object.
      expect(converted.schema.safeParse({}).success).toBe(true);
    } else {
      expect(converted.schema.safeParse({ a: 1 }).success).toBe(true);
      expect(converted.schema.safeParse('not an object').success).toBe(false);
    }
  });
});

describe('MCP tool wrapping', () => {
  const config = { name: 'files', command: 'x', args: [] };

  test('names are <server>__<tool>, sanitized to a valid function name', () => {
    expect(mcpToolName('files', 'read_file')).toBe('files__read_file');
    expect(mcpToolName('files', 'read file.v2')).toBe('files__read_file_v2');
    expect(mcpToolName('s', 'x'.repeat(100))).toHaveLength(64);
  });

  test('only tools that say they are read-only or idempotent are treated as free of side effects', () => {
    expect(mcpToolPolicy({ annotations: { readOnlyHint: true } }, config).idempotent).toBe(true);
    expect(mcpToolPolicy({ annotations: { idempotentHint: true } }, config).idempotent).toBe(true);
    expect(mcpToolPolicy({}, config).idempotent).toBe(false);
    expect(mcpToolPolicy({}, { ...config, policy: { idempotent: true, cacheTtlSeconds: 60 } })).toEqual({
      idempotent: true,
      cacheTtlSeconds: 60,
    });
  });

  test('results: text as-is, other content described, structured content when there is no text', () => {
    expect(
      renderMcpResult({
        content: [
          { type: 'text', text: 'hello' },
          { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          { type: 'resource_link', uri: 'file:///a.txt', name: 'a.txt' },
        ],
      }),
    ).toBe('hello\n[image image/png, 3 bytes, not shown]\n[resource file:///a.txt "a.txt"]');
    expect(renderMcpResult({ content: [], structuredContent: { sum: 3 } })).toBe('{"sum":3}');
  });

  test('the server list is validated with messages naming the bad entry', () => {
    expect(parseMcpServersConfig('[{"name":"files","command":"npx","args":["-y","server"]}]')).toEqual([
      { name: 'files', command: 'npx', args: ['-y', 'server'] },
    ]);
    expect(() => parseMcpServersConfig('[{"name":"bad name","command":"x"}]')).toThrow(/\[0\]\.name: must be 1-30/);
    expect(() => parseMcpServersConfig('[{"name":"a","command":"x"},{"name":"a","command":"y"}]')).toThrow(/duplicate/);
    expect(() => parseMcpServersConfig('{not json')).toThrow(/not valid JSON/);
  });
});
