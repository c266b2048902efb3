/**
 * The scripted OpenAI-compatible model server: a test double for the model provider, used
 * by tests, benchmarks and the offline demo. Never a model.
 */
export { startScriptedModelServer } from './server';
export type { RecordedRequest, ScriptedModelServer, ScriptedModelServerOptions } from './server';
export { ModelScriptError, modelScriptSchema, parseScript } from './script-schema';
export type {
  ModelScript,
  ModelScriptInput,
  RuleMatch,
  ScriptFault,
  ScriptReply,
  ScriptRule,
  ScriptUsage,
  ScriptedToolCall,
} from './script-schema';
export { ruleMatches, selectRule } from './rule-matcher';
export { seededRandom } from './seeded-random';
export type { RuleSelection, RuleSelectionInput } from './rule-matcher';
export { buildChatCompletion, estimatePromptTokens, estimateTokens } from './reply-builder';
export type { ChatCompletionBuildInput } from './reply-builder';
export { ReplyTemplateError, fillTemplates } from './reply-template';
export { buildEmbeddingsResponse, embedText } from './embeddings';
export type { EmbeddingsBuildInput, EmbeddingsRequest } from './embeddings';
export type { ChatMessage, ChatRequest } from './chat-request';
export { loadScriptFile, runMockLlm } from './run-cli';
export type { RunMockLlmOptions } from './run-cli';
