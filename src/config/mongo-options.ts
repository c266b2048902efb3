import type { MongoClientOptions } from 'mongodb';

/**
 * Chassis's defaults for a `MongoClient`, minus every option the URI sets itself. The
 * driver lets an options object win over the URI, so without this a
 * `serverSelectionTimeoutMS` in `MONGODB_URI` would be silently replaced by ours. Everything
 * else in the URI (`mongodb+srv://`, `tls=true`, `tlsCAFile`, `authSource`, `replicaSet`,
 * `retryWrites`, `w`…) reaches the driver unchanged, because the URI itself is passed on.
 */
export function mongoClientOptions(uri: string, defaults: MongoClientOptions): MongoClientOptions {
  const query = uri.indexOf('?');
  if (query === -1) return { ...defaults };
  const named = new Set(
    uri
      .slice(query + 1)
      .split('&')
      .map((pair) => decodeURIComponent(pair.split('=')[0] ?? '').toLowerCase())
      .filter((name) => name !== ''),
  );
  return Object.fromEntries(
    Object.entries(defaults).filter(([name]) => !named.has(name.toLowerCase())),
  ) as MongoClientOptions;
}
