import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { createDataConverter, createPayloadCodecs } from './src/codec/data-converter';
import { startCodecServer } from './src/codec/codec-server';
import { parsePayloadKey, PayloadKeyring } from './src/codec/encryption-keys';
import { ModelCatalog } from './src/models/catalog';
import { ModelGateway } from './src/models/model-gateway';
import { startScriptedModelServer } from './src/testing/scripted-model';
import { bundleWorkflows } from './src/testing/temporal-harness';
import { builtInTools } from './src/tools/builtin';
import { ToolRegistry } from './src/tools/registry';
import { startCodecTestStack } from './test/codec/support/codec-stack';

async function main() {
  const mongo = new MongoClient('mongodb://127.0.0.1:27017/');
  const db = mongo.db('chassis_tmp_ui_codec');
  const keyring = new PayloadKeyring(parsePayloadKey(randomBytes(32).toString('base64'), 'K'));
  const options = { db, claimCheckThresholdBytes: 2048, keyring };
  const model = await startScriptedModelServer({ script: { rules: [
    { name: 'tool', match: { hasToolResults: false }, reply: { toolCalls: [{ name: 'calculator', arguments: { expression: '6 * 7' } }] } },
    { name: 'answer', match: { hasToolResults: true }, reply: { content: 'The answer is {{lastToolResult}}.' } } ] }, log: () => undefined });
  const stack = await startCodecTestStack({ bundle: await bundleWorkflows(), dataConverter: createDataConverter(options), dependencies: {
    models: new ModelGateway({ baseUrl: model.baseURL, timeoutMs: 10_000 }, new ModelCatalog()), tools: new ToolRegistry(builtInTools()) } });
  const id = `ui-codec-${Date.now()}`;
  await stack.client.workflow.execute('agentTaskWorkflow', { taskQueue: stack.taskQueue, workflowId: id, args: [{ goal: 'SECRET GOAL: what is 6 * 7?', model: 'gpt-4.1-mini', planning: 'direct', systemPrompt: 'long '.repeat(1000) }] });
  const desc = await stack.client.workflow.getHandle(id).describe();
  await stack.stop();
  const url = `http://localhost:18233/namespaces/default/workflows/${id}/${desc.runId}/history`;
  const shot = (file: string) => spawnSync('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=/tmp/uicodec/profile-${file}`, '--window-size=1400,1000', '--virtual-time-budget=15000', `--screenshot=/tmp/uicodec/${file}.png`, url], { encoding: 'utf8' });
  shot('without-codec-server');
  const server = await startCodecServer({ codecs: createPayloadCodecs(options), port: 18899, allowedOrigins: ['http://localhost:18233'], log: (l) => console.log('codec:', l) });
  shot('with-codec-server');
  await server.close(); await model.close(); await mongo.db('chassis_tmp_ui_codec').dropDatabase(); await mongo.close();
  console.log(url);
}
void main();
