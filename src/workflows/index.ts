// The only `workflowsPath` of every worker: explicit re-exports, one workflow per file.
export { agentTaskWorkflow } from './agent-task';
