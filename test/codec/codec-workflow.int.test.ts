import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Db } from 'mongodb';
import { replayWorkflowHistory } from '../../src/client/replay/replay-history';
import { startCodecServer } from '../../src/codec/codec-server';
import { PAYLOADS_COLLECTION } from '../../src/codec/claim-check-store';
import { createDataConverter, createPayloadCodecs } from '../../src/codec/data-converter';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { loadConfig } from '../../src/config/load-config';
import type { AgentTaskResult } from '../../src/contracts/agent-task';
import { builtInTools } from '../../src/tools/builtin';
import { ToolRegistry } from '../../src/tools/registry';
import { useScriptedStack } from '../support/scripted-stack';

// Agent tasks on the real dev server with the codec chain in the workers and the client;
// claim-checked payloads go to the real MongoDB-wire server. The model is the scripted test double.
const MODEL = 'gpt-4.1-mini';

const scripted = useScriptedStack({
  script: { rules: [{ name: 'unused', match: { callNumber: 1e6 }, reply: { content: '' } }] },
  database: 'codec_workflow',
  stack: false,
});
let db: Db;
let rawConnection: Connection;
/** A client without codecs: it sees exactly what Temporal stores. */
let rawClient: Client;

beforeAll(async () => {
  db = scripted.database.db;
  const config = loadConfig();
  rawConnection = await Connection.connect({ address: config.temporal.address });
  rawClient = new Client({ connection: rawConnection, namespace: config.temporal.namespace });
});

afterAll(async () => {
  await rawConnection?.close();
});

const dependencies = () => ({
  models: scripted.gateway({ timeoutMs: 20_000 }),
  tools: new ToolRegistry(builtInTools({ now: () => new Date('2026-01-02T03:04:05.000Z') })),
});

/** The `encoding` of every payload in a history, with where it was found. */
function payloadEncodings(value: unknown, path = ''): { path: string; encoding: string }[] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [];
  const record = value as Record<string, unknown>;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  if (metadata?.encoding instanceof Uint8Array) {
    return [{ path, encoding: Buffer.from(metadata.encoding).toString() }];
  }
  return Object.entries(record).flatMap(([key, child]) => payloadEncodings(child, `${path}.${key}`));
}

/** The task's history, every run of it (a long task continues as new): encoded bytes and event count. */
async function historyBytes(workflowId: string): Promise<{ bytes: Uint8Array; events: number }> {
  const chunks: Uint8Array[] = [];
  let events = 0;
  const latest = await rawClient.workflow.getHandle(workflowId).fetchHistory();
  let runId: string | undefined =
    latest.events?.[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId ?? undefined;
  while (runId !== undefined) {
    const history = await rawClient.workflow.getHandle(workflowId, runId).fetchHistory();
    chunks.push(temporal.api.history.v1.History.encode(history).finish());
    events += history.events?.length ?? 0;
    runId = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return { bytes: Buffer.concat(chunks), events };
}

describe('payload codecs in a running task', () => {
  test('with encryption on, no prompt text is in the raw history or the claim-check store; the codec endpoint decodes it', async () => {
    const keyring = new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'CHASSIS_PAYLOAD_KEY'));
    const secret = `PROMPT-SECRET-${randomUUID()}`;
    const codecOptions = { db, claimCheckThresholdBytes: 8192, keyring };
    const stack = await scripted.startStack({
      dependencies: dependencies(),
      dataConverter: createDataConverter(codecOptions),
    });
    scripted.model.setScript({
      rules: [
        {
          name: 'tool',
          match: { hasToolResults: false },
          reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '6 * 7' } }] },
        },
        { name: 'answer', match: { hasToolResults: true }, reply: { content: `ANSWER-SECRET {{lastToolResult}}` } },
      ],
    });
    const workflowId = `codec-test-${randomUUID()}`;
    const result: AgentTaskResult = await stack.client.workflow.execute('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      // A long system prompt so the model-call inputs are over the threshold and claim-checked.
      args: [
        {
          goal: `${secret}: what is 6 * 7?`,
          model: MODEL,
          planning: 'direct',
          memory: false,
          systemPrompt: `Be exact. ${'.'.repeat(20_000)}`,
        },
      ],
    });
    expect(result.answer).toBe('ANSWER-SECRET 42');
    // The model did see the prompt: the codec is transparent to the workflow and activities.
    expect(JSON.stringify(scripted.model.requests[0]?.body)).toContain(secret);

    const { bytes } = await historyBytes(workflowId);
    const raw = Buffer.from(bytes).toString('latin1');
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain('ANSWER-SECRET');
    // Every payload is encrypted except those codecs never see, which hold no prompt: search
    // attributes, the markers patched() records (the patch id), and the SDK core's own record
    // of each local activity (`details.data`: its sequence, type, attempt and times; the
    // result beside it, `details.result`, is encoded).
    const history = await rawClient.workflow.getHandle(workflowId).fetchHistory();
    const encoded = payloadEncodings(history).filter(
      (found) =>
        !found.path.includes('searchAttributes') &&
        !found.path.includes('markerRecordedEventAttributes.details.patch-data') &&
        !found.path.includes('markerRecordedEventAttributes.details.data.'),
    );
    expect(encoded.map((found) => found.encoding)).toEqual(expect.arrayContaining(['binary/encrypted']));
    expect(encoded.filter((found) => found.encoding !== 'binary/encrypted')).toEqual([]);
    const stored = await db.collection(PAYLOADS_COLLECTION).find({}).toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const document of stored) expect(JSON.stringify(document)).not.toContain(secret);

    // Replay needs the codecs too (inputs and results are references and ciphertext), and is deterministic with them.
    const replayed = await replayWorkflowHistory({
      history,
      workflowId,
      workflows: { workflowBundle: scripted.bundle },
      dataConverter: createDataConverter(codecOptions),
    });
    expect(replayed).toMatchObject({ deterministic: true });

    // The UI's view: the start event's input through the codec server of another process.
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0] as Payload;
    const server = await startCodecServer({
      codecs: createPayloadCodecs(codecOptions),
      port: 0,
      allowedOrigins: ['http://localhost:8233'],
    });
    try {
      const response = await fetch(`${server.url}/decode`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
        body: JSON.stringify({
          payloads: [
            {
              metadata: Object.fromEntries(
                Object.entries(input.metadata ?? {}).map(([key, value]) => [
                  key,
                  Buffer.from(value).toString('base64'),
                ]),
              ),
              data: Buffer.from(input.data ?? []).toString('base64'),
            },
          ],
        }),
      });
      const body = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
      const decoded = body.payloads[0];
      const value = defaultPayloadConverter.fromPayload({
        metadata: Object.fromEntries(
          Object.entries(decoded?.metadata ?? {}).map(([key, text]) => [key, Buffer.from(text, 'base64')]),
        ),
        data: Buffer.from(decoded?.data ?? '', 'base64'),
      }) as { goal: string };
      expect(value.goal).toBe(`${secret}: what is 6 * 7?`);
    } finally {
      await server.close();
    }
  });

  test('a 200-step task with a 100 KB working context keeps its history under 4 KB per step', async () => {
    const stack = await scripted.startStack({
      dependencies: dependencies(),
      dataConverter: createDataConverter({ db, claimCheckThresholdBytes: 8192 }),
    });
    scripted.model.setScript({
      rules: [{ name: 'always-clock', reply: { toolCalls: [{ name: 'clock', arguments: {} }] } }],
    });
    const steps = 200;
    const workflowId = `codec-long-test-${randomUUID()}`;
    const result: AgentTaskResult = await stack.client.workflow.execute('agentTaskWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [
        {
          goal: 'Keep reading the clock.',
          model: MODEL,
          planning: 'direct',
          memory: false,
          maxSteps: steps,
          tools: ['clock'],
          systemPrompt: `Working context: ${'x'.repeat(100 * 1024)}`,
        },
      ],
      workflowExecutionTimeout: '5 minutes',
    });
    expect(result.status).toBe('budget_exceeded');
    expect(result.steps).toHaveLength(steps);
    const { bytes, events } = await historyBytes(workflowId);
    const perStep = bytes.length / steps;
    // Without the claim check each step would carry the whole 100 KB context (20 MB in total).
    expect(perStep).toBeLessThan(4096);
    expect(events).toBeGreaterThan(steps * 6);
  }, 300_000);
});
