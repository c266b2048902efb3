import type { Tool } from '../tool';
import { calculatorTool } from './calculator';
import { createClockTool, type Now } from './clock';

export { calculatorTool } from './calculator';
export { createClockTool } from './clock';

/** The built-in tools every worker registers. */
export function builtInTools(options: { now?: Now } = {}): Tool[] {
  return [calculatorTool, createClockTool(options.now)] as Tool[];
}
