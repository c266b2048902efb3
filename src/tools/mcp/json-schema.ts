import { z } from 'zod';

/** A JSON Schema object, as MCP servers send them. */
export type JsonSchema = Record<string, unknown>;

/** The result of {@link jsonSchemaToZod}. */
export interface ConvertedSchema {
  schema: z.ZodType;
  /** Set when the schema could not be converted and arguments are only checked to be an object. */
  warning?: string;
}

/**
 * A zod validator for an MCP tool's input JSON Schema, with zod 4's `z.fromJSONSchema`. A
 * schema zod cannot convert (an external `$ref`, an unknown draft) falls back to "any
 * object": the server still validates, and its error comes back as an observation.
 */
export function jsonSchemaToZod(schema: JsonSchema): ConvertedSchema {
  try {
    return { schema: z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]) };
  } catch (error) {
    return {
      schema: z.record(z.string(), z.unknown()),
      warning: `input schema not convertible (${(error as Error).message}); arguments are checked by the server only`,
    };
  }
}

/** The schema passed to the model: the server's, minus the `$schema` keyword. */
export function modelFacingSchema(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  if (rest.type === undefined && rest.properties === undefined) return { type: 'object', properties: {}, ...rest };
  return rest;
}

/**
 * A plausible valid argument object, built from a schema's required properties (examples,
 * defaults, enums and `const` first, else a placeholder of the right type). Shown to the
 * model next to a validation error.
 */
export function exampleFromJsonSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 5) return null;
  const node = schema as Record<string, unknown>;
  if (Array.isArray(node.examples) && node.examples.length > 0) return node.examples[0];
  if ('default' in node) return node.default;
  if ('const' in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = node[key];
    if (Array.isArray(options) && options.length > 0) return exampleFromJsonSchema(options[0], depth + 1);
  }
  const type = Array.isArray(node.type) ? node.type.find((entry) => entry !== 'null') : node.type;
  switch (type) {
    case 'string':
      return node.format === 'uri' ? 'https://example.com/' : 'text';
    case 'integer':
    case 'number':
      return typeof node.minimum === 'number' ? node.minimum : 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'null':
      return null;
    default: {
      const properties = (node.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(node.required) ? (node.required as string[]) : [];
      return Object.fromEntries(required.map((name) => [name, exampleFromJsonSchema(properties[name], depth + 1)]));
    }
  }
}
