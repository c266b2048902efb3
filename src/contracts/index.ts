export * from './failure-types';
export * from './task-queues';
export * from './messages';
export * from './usage';
export * from './activities';
export * from './agent-task';
export * from './search-attributes';
export * from './tools';
