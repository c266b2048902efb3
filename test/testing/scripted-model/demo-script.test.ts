import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';

import { parseScript, startScriptedModelServer } from '../../../src/testing/scripted-model';
import type { ScriptedModelServer } from '../../../src/testing/scripted-model';
import demoScript from '../../../src/testing/scripts/demo.json';

const goal = 'What is 17.5% of 2,340, and what time is it in UTC?';
const tools: ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'calculator',
      parameters: { type: 'object', properties: { expression: { type: 'string' } }, required: ['expression'] },
    },
  },
  {
    type: 'function',
    function: { name: 'clock', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } },
  },
];

describe('the demo script', () => {
  let server: ScriptedModelServer;
  let client: OpenAI;

  beforeAll(async () => {
    server = await startScriptedModelServer({ script: parseScript(demoScript) });
    client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('drives the two-turn demo: both tool calls, then an answer with both results', async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You are a helpful agent. Use tools.' },
      { role: 'user', content: goal },
    ];
    const planning = await client.chat.completions.create({ model: 'scripted-model', messages, tools });
    const assistant = planning.choices[0]?.message;
    expect(planning.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = (assistant?.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [call] : []));
    expect(calls.map((call) => [call.function.name, JSON.parse(call.function.arguments) as unknown])).toEqual([
      ['calculator', { expression: '2340 * 0.175' }],
      ['clock', { timezone: 'UTC' }],
    ]);

    messages.push({ role: 'assistant', content: null, tool_calls: calls });
    const results: Record<string, string> = {
      calculator: '409.5',
      clock: JSON.stringify({
        utc: '2026-03-01T12:34:56.000Z',
        timezone: 'UTC',
        local: '2026-03-01, 12:34:56',
        weekday: 'Sunday',
      }),
    };
    for (const call of calls) {
      messages.push({ role: 'tool', tool_call_id: call.id, content: results[call.function.name] ?? '' });
    }
    const answering = await client.chat.completions.create({ model: 'scripted-model', messages, tools });
    const answer = answering.choices[0]?.message.content ?? '';
    expect(answering.choices[0]?.finish_reason).toBe('stop');
    expect(answer).toContain('409.5');
    expect(answer).toBe(
      '17.5% of 2,340 is 409.5 (calculator: 2340 * 0.175). It is now 2026-03-01, 12:34:56 UTC (Sunday), according to the clock tool.',
    );
    expect(server.requests.slice(-2).map((request) => request.ruleName)).toEqual(['demo-plan-tools', 'demo-answer']);
  });

  it('answers any other goal by saying it is the offline script, even when a recalled demo episode is in the prompt', async () => {
    const completion = await client.chat.completions.create({
      model: 'scripted-model',
      messages: [
        { role: 'system', content: 'You are a helpful agent. Use tools.' },
        // What recall puts before the goal after the demo has run once.
        { role: 'user', content: `Relevant earlier tasks:\nTask: ${goal}\nAnswer: 17.5% of 2,340 is 409.5.` },
        { role: 'user', content: 'What is 17 * 23? Use the calculator.' },
      ],
      tools,
    });
    expect(completion.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]?.message.content).toMatch(
      /^\(scripted offline model\) I only know the demo goal, ".+"\. For anything else use a real model: set OPENAI_API_KEY/,
    );
  });

  it('extracts the demo fact only from the demo task, and no fact from any other', async () => {
    const extract = (task: string) =>
      client.chat.completions.create({
        model: 'scripted-model',
        messages: [
          { role: 'system', content: 'You extract durable facts from a conversation.' },
          { role: 'user', content: `Task: ${task}\nAnswer: whatever was answered` },
        ],
      });
    expect(JSON.parse((await extract(goal)).choices[0]?.message.content ?? '')).toEqual({
      facts: [{ text: '17.5% of 2,340 is 409.5.', category: 'result' }],
    });
    expect(JSON.parse((await extract('What is 17 * 23?')).choices[0]?.message.content ?? '')).toEqual({ facts: [] });
  });
});
