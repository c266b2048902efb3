import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES } from '../contracts/search-attributes';
import { StackError } from './stack-error';

type SearchAttributeTypeName = (typeof SEARCH_ATTRIBUTE_TYPES)[string];

/**
 * Values of `temporal.api.enums.v1.IndexedValueType`, written out because the enum lives in
 * `@temporalio/proto`, which is not a direct dependency.
 */
const INDEXED_VALUE_TYPES: Record<SearchAttributeTypeName, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4 };

/** gRPC status ALREADY_EXISTS: another process registered the attribute in between. */
const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the missing custom search attributes in a namespace and returns the names it
 * added. Needed even on a server started with `--search-attribute`: one we did not start,
 * or one whose SQLite file predates a newly added attribute (the flag only applies when
 * the namespace is created).
 */
export async function registerSearchAttributes(
  address: string,
  namespace: string,
  types: Record<string, SearchAttributeTypeName> = SEARCH_ATTRIBUTE_TYPES,
): Promise<string[]> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    const existing = await listCustomSearchAttributes(connection, namespace);
    const wrongType = Object.entries(types).filter(
      ([name, type]) => existing[name] !== undefined && existing[name] !== INDEXED_VALUE_TYPES[type],
    );
    if (wrongType.length > 0) {
      const names = wrongType.map(([name, type]) => `${name} (wanted ${type})`).join(', ');
      throw new StackError(
        `search attributes ${names} exist in namespace "${namespace}" on ${address} with another type: remove them with "temporal operator search-attribute remove", or use a fresh server`,
      );
    }
    const missing = Object.entries(types).filter(([name]) => existing[name] === undefined);
    if (missing.length === 0) return [];
    try {
      await connection.withDeadline(Date.now() + 30_000, () =>
        connection.operatorService.addSearchAttributes({
          namespace,
          searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_VALUE_TYPES[type]])),
        }),
      );
    } catch (error) {
      if ((error as { code?: unknown }).code !== GRPC_ALREADY_EXISTS) throw error;
    }
    return missing.map(([name]) => name);
  } finally {
    await connection.close();
  }
}

/** Custom search attributes of a namespace: name → `IndexedValueType` number. */
export async function listCustomSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<Record<string, number>> {
  const response = await connection.withDeadline(Date.now() + 10_000, () =>
    connection.operatorService.listSearchAttributes({ namespace }),
  );
  return Object.fromEntries(
    Object.entries(response.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]),
  );
}
