/**
 * Working-context budgeting for workflows: pure, deterministic, sandbox-safe.
 */
export {
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_PRIMING_TOKENS,
  UNCALIBRATED,
  calibrate,
  calibrated,
  estimateMessageTokens,
  estimateMessagesTokens,
  estimateTextTokens,
  estimateToolDefinitionsTokens,
} from '../../shared/estimate-tokens';
export type { TokenCalibration } from '../../shared/estimate-tokens';
export { contextBudget } from './context-budget';
export type { ContextBudget, ContextBudgetOptions } from './context-budget';
export { MIN_SUMMARY_TOKENS, applySummary, planWorkingContext, summaryMessage } from './working-context';
export type {
  CompressionRequest,
  ConversationTurn,
  RetrievedMemory,
  RunningSummary,
  WorkingContextInput,
  WorkingContextPlan,
} from './working-context';
