import { MongoClient } from 'mongodb';
import type { ChassisConfig } from '../../config/load-config';
import type { ToolDescriptor } from '../../contracts/tools';
import { createEmbedder } from '../../memory/embedders/create-embedder';
import { memoryToolDependencies, memoryTools } from '../../memory/memory-tools';
import { buildToolRegistry, type ToolsConfig } from '../../tools/build-tool-registry';
import { summarizePolicy } from '../../tools/policy';
import { CliError } from '../cli-error';
import { printJson } from '../output';

/** Options of `chassis tools list`. */
export interface ToolsListOptions {
  /** Print the descriptors (definition + policy) as JSON. */
  json?: boolean;
}

/** The first sentence of a description: up to a full stop followed by a capital (so "e.g. 5" does not end it). */
export function firstSentence(description: string): string {
  const match = /^(.+?[.!?])(\s+[A-Z"'(]|\s*$)/s.exec(description.trim());
  return (match?.[1] ?? description.trim()).replace(/\s+/g, ' ');
}

/** The table `chassis tools list` prints: name, first sentence, policy summary. */
export function formatToolList(descriptors: ToolDescriptor[]): string {
  if (descriptors.length === 0) return 'no tools registered\n';
  const width = Math.max(...descriptors.map((descriptor) => descriptor.name.length));
  const lines = descriptors.map(
    (descriptor) =>
      `${descriptor.name.padEnd(width)}  ${firstSentence(descriptor.description)}\n${' '.repeat(width)}  ${summarizePolicy(descriptor.policy)}`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `chassis tools list [--json]`: the tools a worker with this config registers, as the model
 * and the engine see them. Configured MCP servers are started to list their tools, then
 * stopped. The database is not contacted (the Mongo client connects lazily).
 */
export async function toolsListCommand(
  config: ChassisConfig & { tools?: ToolsConfig },
  options: ToolsListOptions = {},
): Promise<ToolDescriptor[]> {
  // A lazy client: registering `tool_output_read` needs a Db handle, not a connection.
  const mongo = new MongoClient(config.mongo.uri);
  let built;
  try {
    built = await buildToolRegistry(config.tools ?? {}, { db: mongo.db(config.mongo.database) });
  } catch (error) {
    await mongo.close();
    throw new CliError(`cannot list tools: ${(error as Error).message}`);
  }
  try {
    // The memory tools every worker adds (buildDependencies), so the list is what a worker serves.
    const db = mongo.db(config.mongo.database);
    const embedder = createEmbedder(config, config.memory);
    for (const tool of memoryTools(memoryToolDependencies(db, embedder, config.memory))) built.registry.register(tool);
    const descriptors = built.registry.descriptors();
    if (options.json) printJson(descriptors);
    else process.stdout.write(formatToolList(descriptors));
    return descriptors;
  } finally {
    await built.close();
    await mongo.close();
  }
}
