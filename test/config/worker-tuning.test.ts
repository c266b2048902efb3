import { configErrorMessage } from './support/config-error-message';
import { loadWorkerTuning } from '../../src/config/worker-tuning';
import { modelWorkerTuning, workflowWorkerTuning } from '../../src/workers/tuning-options';

const messageOf = (environment: Record<string, string>) => configErrorMessage(() => loadWorkerTuning(environment));

describe('loadWorkerTuning', () => {
  test('nothing set: nothing in the result, so the SDK keeps its defaults', () => {
    expect(loadWorkerTuning({})).toEqual({});
    expect(workflowWorkerTuning(loadWorkerTuning({}))).toEqual({});
    expect(modelWorkerTuning(loadWorkerTuning({}), 8)).toEqual({});
  });

  test('reads pollers (a number or auto), slots and the cache size', () => {
    expect(
      loadWorkerTuning({
        CHASSIS_WORKFLOW_POLLERS: '4',
        CHASSIS_ACTIVITY_POLLERS: 'AUTO',
        CHASSIS_WORKFLOW_TASK_SLOTS: '80',
        CHASSIS_WORKFLOW_CACHE: '0',
      }),
    ).toEqual({ workflowPollers: 4, activityPollers: 'auto', workflowTaskSlots: 80, maxCachedWorkflows: 0 });
  });

  test('bad values are one-line errors naming the variable and what is allowed', () => {
    expect(messageOf({ CHASSIS_WORKFLOW_POLLERS: '1' })).toBe(
      'CHASSIS_WORKFLOW_POLLERS is invalid: "1" (must be "auto" or an integer from 2 to 100, e.g. 10)',
    );
    expect(messageOf({ CHASSIS_ACTIVITY_POLLERS: 'many' })).toBe(
      'CHASSIS_ACTIVITY_POLLERS is invalid: "many" (must be "auto" or an integer from 1 to 100, e.g. 10)',
    );
    expect(messageOf({ CHASSIS_WORKFLOW_TASK_SLOTS: '1' })).toBe(
      'CHASSIS_WORKFLOW_TASK_SLOTS is invalid: "1" (must be an integer from 2 to 1000, e.g. 40)',
    );
    expect(messageOf({ CHASSIS_WORKFLOW_CACHE: '-5' })).toBe(
      'CHASSIS_WORKFLOW_CACHE is invalid: "-5" (must be an integer from 0 to 100000, e.g. 1000)',
    );
    expect(messageOf({ CHASSIS_WORKFLOW_POLLERS: '20', CHASSIS_WORKFLOW_TASK_SLOTS: '10' })).toMatch(
      /^CHASSIS_WORKFLOW_POLLERS \(20\) is above CHASSIS_WORKFLOW_TASK_SLOTS \(10\)/,
    );
  });
});

describe('tuning options for the SDK', () => {
  test('the workflow worker gets pollers, slots and cache; auto means autoscaling pollers', () => {
    expect(
      workflowWorkerTuning({
        workflowPollers: 'auto',
        activityPollers: 6,
        workflowTaskSlots: 80,
        maxCachedWorkflows: 0,
      }),
    ).toEqual({
      workflowTaskPollerBehavior: { type: 'autoscaling' },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 6 },
      maxConcurrentWorkflowTaskExecutions: 80,
      maxCachedWorkflows: 0,
    });
  });

  test('the model worker never polls for more activities than it has slots for', () => {
    expect(modelWorkerTuning({ activityPollers: 20 }, 8)).toEqual({
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 8 },
    });
    expect(modelWorkerTuning({ activityPollers: 'auto', workflowPollers: 4 }, 8)).toEqual({
      activityTaskPollerBehavior: { type: 'autoscaling' },
    });
  });
});
