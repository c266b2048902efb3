import { MongoServerError, type Collection, type Document } from 'mongodb';

/** True for an insert that hit an existing `_id` (or unique key). */
export function isDuplicateKeyError(error: unknown): boolean {
  return error instanceof MongoServerError && error.code === 11000;
}

/** How expired documents of a collection are removed. */
export type ExpiryMode = 'ttl-index' | 'purge-on-read';

/**
 * Creates a TTL index on `field` (a Date) where the server has TTL indexes, so the server
 * deletes expired documents itself. FerretDB v1 answers `NotImplemented` (code 238) for
 * `expireAfterSeconds`: there a plain index on `field` keeps reads and purges cheap, and
 * the caller must enforce expiry on read and purge (which Chassis does everywhere anyway,
 * since even a real TTL monitor only runs once a minute).
 */
export async function ensureExpiryIndex<T extends Document>(
  collection: Collection<T>,
  field: string,
): Promise<ExpiryMode> {
  try {
    // Keys, index options, command options (none): the driver deprecates mixing the two kinds.
    await collection.createIndex({ [field]: 1 }, { name: `${field}_ttl`, expireAfterSeconds: 0 }, {});
    return 'ttl-index';
  } catch (error) {
    if (!isTtlUnsupported(error)) throw error;
  }
  await collection.createIndex({ [field]: 1 }, { name: `${field}_1` }, {});
  return 'purge-on-read';
}

function isTtlUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  // 238 NotImplemented (FerretDB v1); 115 CommandNotSupported, 67 CannotCreateIndex and a
  // message naming the option cover other MongoDB-compatible servers.
  return (
    error.code === 238 ||
    error.code === 115 ||
    error.codeName === 'NotImplemented' ||
    /expireAfterSeconds/i.test(error.message)
  );
}
