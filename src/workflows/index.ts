// The only `workflowsPath` of every worker: explicit re-exports, one workflow per file.
export { agentTaskWorkflow } from './agent-task';
export { subtaskWorkflow } from './subtask';
export { sessionWorkflow } from './session';
export { rememberTaskWorkflow } from './remember-task';
export { retentionSweepWorkflow } from './retention-sweep';
