import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/**
 * History ⇄ proto3 JSON (the format of `temporal workflow show --output json` and of the
 * fixtures in `test/fixtures/histories/`).
 *
 * Why not the SDK's `historyToJSON` / `historyFromJSON`: they pair `@temporalio/common`'s
 * copy of protobufjs with `@temporalio/proto`'s types. When npm cannot hoist protobufjs 8
 * (gRPC's loader pins 7 at the top level, as here) each package gets its own copy and the
 * SDK functions throw "type must be a Type". Using the protobufjs that `@temporalio/proto`
 * itself resolves keeps types and serializer from one copy.
 */
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

let cached: { protojson: ProtoJson; historyType: unknown } | undefined;

function codec() {
  if (cached === undefined) {
    const protoDirectory = path.dirname(require.resolve('@temporalio/proto/package.json'));
    const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDirectory] })) as ProtoJson;
    const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
    cached = { protojson, historyType: root.lookupType('temporal.api.history.v1.History') };
  }
  return cached;
}

/** A history as pretty proto3 JSON text. */
export function historyToJson(history: History): string {
  const { protojson, historyType } = codec();
  const message = proto.temporal.api.history.v1.History.fromObject(history as Record<string, unknown>);
  return `${JSON.stringify(protojson.toJson(historyType, message), null, 2)}\n`;
}

/** Parses proto3 JSON history (an object with `events`) into a History the replayer accepts. */
export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a workflow history: expected a JSON object with an "events" array');
  }
  const { protojson, historyType } = codec();
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (history === null || (history.events ?? []).length === 0) throw new TypeError('the history has no events');
  return history;
}

/** The workflow id and type recorded in a history's first event (servers since 1.25 record the id). */
export function historyIdentity(history: History): { workflowId?: string; workflowType?: string } {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return {
    ...(started?.workflowId ? { workflowId: started.workflowId } : {}),
    ...(started?.workflowType?.name ? { workflowType: started.workflowType.name } : {}),
  };
}
