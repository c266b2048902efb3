import type * as MathJs from 'mathjs';
import { z } from 'zod';
import { defineTool } from '../tool';
import { PermanentToolError } from '../tool-errors';

// mathjs takes ~0.4 s to load; load it on first use so workers that never calculate don't pay.
let mathModule: typeof MathJs | undefined;
function math(): typeof MathJs {
  mathModule ??= require('mathjs') as typeof MathJs;
  return mathModule;
}

/** Evaluates arithmetic with mathjs (no code execution, no variables kept between calls). */
export const calculatorTool = defineTool({
  name: 'calculator',
  description:
    'Evaluates a math expression exactly and returns the number. Use it for any arithmetic instead of computing in your head. ' +
    'Supports + - * / ^ %, parentheses, sqrt, round, log, sin/cos, and units like "5 km to mile". ' +
    'Returns the result as text. Limits: one expression per call, no variables kept between calls.',
  input: z.object({
    expression: z.string().min(1).max(500).describe('The expression, e.g. "2340 * 0.175" or "sqrt(2) * 10"'),
  }),
  example: { expression: '2340 * 0.175' },
  // Not cached: evaluating is faster than a round trip to the cache.
  policy: { timeoutMs: 5_000, maximumAttempts: 2, idempotent: true, maxOutputChars: 2_000, local: true },
  async execute({ expression }) {
    const mathjs = math();
    let value: unknown;
    try {
      value = mathjs.evaluate(expression);
    } catch (error) {
      throw new PermanentToolError(`cannot evaluate "${expression}": ${(error as Error).message}`);
    }
    if (typeof value === 'function' || value === undefined) {
      throw new PermanentToolError(`"${expression}" is not an expression with a value`);
    }
    // 12 significant digits hide binary floating-point noise (409.49999999999994 → 409.5).
    return mathjs.format(value, { precision: 12 });
  },
});
