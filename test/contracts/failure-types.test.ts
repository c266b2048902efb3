import { FailureType } from '../../src/contracts/failure-types';

describe('the failure-type registry', () => {
  test('the values recorded in histories and tool observations keep their exact spelling', () => {
    // Recorded histories and running workflows carry these strings: a rename breaks them.
    expect(FailureType).toMatchObject({
      ToolTransient: 'Tool.Transient',
      ToolPermanent: 'Tool.Permanent',
      ToolInvalidArguments: 'Tool.InvalidArguments',
      ToolCircuitOpen: 'Tool.CircuitOpen',
      ToolRejected: 'Tool.Rejected',
      ToolUnknown: 'Tool.Unknown',
      ToolOutcomeUnknown: 'Tool.OutcomeUnknown',
      MemoryUnavailable: 'Memory.Unavailable',
      MemoryEmbedderMismatch: 'Memory.EmbedderMismatch',
      MemoryInvalidInput: 'Memory.InvalidInput',
      MemoryModelOutputInvalid: 'Memory.ModelOutputInvalid',
    });
  });

  test('every value is namespaced and used by one key only', () => {
    const values = Object.values(FailureType);
    expect(new Set(values).size).toBe(values.length);
    for (const value of values) expect(value).toMatch(/^(Model|Tool|Infra|Task|Memory)\.[A-Z][A-Za-z]+$/);
  });
});
