import { isAnswerLabel, isEventOf, taskIdOf, taskStreamIdOf } from '../../src/contracts/task-events';

describe('task event streams and tasks', () => {
  test('a task and its subtasks share a stream; so do a session and its turns', () => {
    expect(taskStreamIdOf('task-abc')).toBe('task-abc');
    expect(taskStreamIdOf('task-abc/research/deeper')).toBe('task-abc');
    expect(taskStreamIdOf('session-chat.1/turn-3/research')).toBe('session-chat.1');
  });

  test('the task of a workflow: the top task, or the session turn', () => {
    expect(taskIdOf('task-abc')).toBe('task-abc');
    expect(taskIdOf('task-abc/research')).toBe('task-abc');
    expect(taskIdOf('session-chat/turn-3')).toBe('session-chat/turn-3');
    expect(taskIdOf('session-chat/turn-3/research')).toBe('session-chat/turn-3');
    expect(taskIdOf('session-chat')).toBe('session-chat');
    // A task that merely starts with "session-" and has subtasks not named turn-N is a task.
    expect(taskIdOf('session-chat/remember')).toBe('session-chat');
  });

  test('events of a workflow include its subtasks, not its siblings', () => {
    expect(isEventOf({ workflowId: 'task-a/x' }, 'task-a')).toBe(true);
    expect(isEventOf({ workflowId: 'task-a' }, 'task-a')).toBe(true);
    expect(isEventOf({ workflowId: 'task-ab' }, 'task-a')).toBe(false);
    expect(isEventOf({ workflowId: 'session-s/turn-1/x' }, 'session-s/turn-1')).toBe(true);
    expect(isEventOf({ workflowId: 'session-s/turn-10' }, 'session-s/turn-1')).toBe(false);
  });

  test('answer labels: steps and the synthesis, not plans or summaries', () => {
    expect(['step 1', 'step 12', 'synthesize'].map(isAnswerLabel)).toEqual([true, true, true]);
    expect(['plan', 'plan (corrected)', 'summarize session', 'step', 'step 1 retry'].map(isAnswerLabel)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
