export { ToolRegistry } from './registry';
export { defineTool } from './tool';
export type { Tool, ToolContext } from './tool';
export { TransientToolError, PermanentToolError } from './tool-errors';
export { builtInTools, calculatorTool, createClockTool } from './builtin';
