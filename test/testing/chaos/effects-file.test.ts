import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  countEffects,
  parseJsonLines,
  readEffectsFile,
  type EffectRecord,
} from '../../../src/testing/chaos/effects-file';

function effect(label: string, idempotencyKey: string | null): EffectRecord {
  return {
    at: '2026-01-01T00:00:00.000Z',
    tool: 'record_effect',
    idempotencyKey,
    arguments: { task: 'unit', label },
    output: `effect "${label}" recorded`,
    pid: 10,
    workerPid: 9,
  };
}

describe('parseJsonLines', () => {
  it('skips blank lines and a line cut short by a crash, and says how many it skipped', () => {
    expect(parseJsonLines<{ n: number }>('{"n":1}\n\n{"n":2}\n{"n":')).toEqual({
      records: [{ n: 1 }, { n: 2 }],
      skipped: 1,
    });
  });
});

describe('readEffectsFile', () => {
  let folder: string;
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'chassis-effects-'));
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  it('reads the JSONL the effect server appends, and no file as no effects', () => {
    const file = path.join(folder, 'effects.jsonl');
    expect(readEffectsFile(file)).toEqual([]);
    fs.writeFileSync(file, `${JSON.stringify(effect('a', 'k1'))}\n${JSON.stringify(effect('b', null))}\n`);
    expect(readEffectsFile(file).map((record) => [record.arguments.label, record.idempotencyKey])).toEqual([
      ['a', 'k1'],
      ['b', null],
    ]);
  });
});

describe('countEffects', () => {
  it('counts executions per label, with zero for a label that never ran', () => {
    const counts = countEffects([effect('a', 'k1')], ['a', 'never']);
    expect(counts.get('a')).toEqual({ label: 'a', executions: 1, keys: 1, duplicated: false, extraExecutions: 0 });
    expect(counts.get('never')).toEqual({
      label: 'never',
      executions: 0,
      keys: 0,
      duplicated: false,
      extraExecutions: 0,
    });
  });

  it('calls two executions under one idempotency key a duplicate, and two keys two calls', () => {
    const counts = countEffects(
      [
        effect('twice', 'k1'),
        effect('twice', 'k1'),
        effect('twice', 'k1'),
        effect('two-calls', 'k2'),
        effect('two-calls', 'k3'),
      ],
      ['twice', 'two-calls'],
    );
    expect(counts.get('twice')).toMatchObject({ executions: 3, keys: 1, duplicated: true, extraExecutions: 2 });
    expect(counts.get('two-calls')).toMatchObject({ executions: 2, keys: 2, duplicated: false, extraExecutions: 0 });
  });

  it('without keys (a caller that sends none) a second execution of a label is a duplicate', () => {
    const counts = countEffects([effect('a', null), effect('a', null)], ['a']);
    expect(counts.get('a')).toMatchObject({ executions: 2, duplicated: true, extraExecutions: 1 });
  });
});
