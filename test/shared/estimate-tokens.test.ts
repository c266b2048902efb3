import { readFileSync } from 'node:fs';
import path from 'node:path';
import { countTokens } from '../../src/models/token-count';
import {
  UNCALIBRATED,
  calibrate,
  calibrated,
  estimateMessagesTokens,
  estimateTextTokens,
} from '../../src/shared/estimate-tokens';

const root = path.join(__dirname, '..', '..');

describe('estimateTextTokens', () => {
  const samples: Record<string, string> = {
    prose:
      readFileSync(path.join(root, 'README.md'), 'utf8').slice(0, 6000) ||
      'The quick brown fox jumps over the lazy dog. '.repeat(100),
    code: readFileSync(path.join(root, 'src/memory/lexical.ts'), 'utf8'),
    json: JSON.stringify(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')), null, 2),
    chat: 'Hi! My favourite colour is teal, and my cat is called Biscuit. Can you remind me on Tuesday at 3pm?',
  };

  it.each(Object.keys(samples))('stays within -15%..+45% of the o200k count for %s', (name) => {
    const text = samples[name]!;
    const ratio = estimateTextTokens(text) / countTokens(text);
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.45);
  });

  it('is zero for an empty text and deterministic', () => {
    expect(estimateTextTokens('')).toBe(0);
    expect(estimateTextTokens('same text')).toBe(estimateTextTokens('same text'));
  });

  it('counts message overhead and tool calls', () => {
    const bare = estimateMessagesTokens([{ role: 'user', content: 'hello' }]);
    const withCall = estimateMessagesTokens([
      { role: 'user', content: 'hello' },
      {
        role: 'assistant',
        content: null,
        toolCalls: [{ id: 'c1', name: 'calculator', arguments: '{"expression":"1+1"}' }],
      },
    ]);
    expect(bare).toBeGreaterThan(estimateTextTokens('hello'));
    expect(withCall).toBeGreaterThan(bare + 8);
  });
});

describe('calibrate', () => {
  it('moves toward the provider-reported ratio, fully on the first observation', () => {
    const first = calibrate(UNCALIBRATED, { estimatedTokens: 1000, reportedTokens: 800 });
    expect(first).toEqual({ ratio: 0.8, observations: 1 });
    let calibration = first;
    for (let index = 0; index < 20; index += 1) {
      calibration = calibrate(calibration, { estimatedTokens: 1000, reportedTokens: 1200 });
    }
    expect(calibration.ratio).toBeCloseTo(1.2, 2);
    expect(calibrated(100, calibration)).toBe(Math.ceil(100 * calibration.ratio));
  });

  it('ignores unusable reports and clamps absurd ones', () => {
    expect(calibrate(UNCALIBRATED, { estimatedTokens: 1000, reportedTokens: 0 })).toBe(UNCALIBRATED);
    expect(calibrate(UNCALIBRATED, { estimatedTokens: 10, reportedTokens: 100_000 }).ratio).toBe(4);
  });
});
