import type { ModelsDescription } from '../../../src/contracts/models';
import { tierChain } from '../../../src/workflows/routing/choose-tier';

const description: ModelsDescription = {
  tiers: { small: ['mini'], large: [] },
  models: [],
  routing: { rules: [], defaultTier: 'small', escalationTier: 'large', cascadeFrom: ['small'] },
};

describe('a tier without models', () => {
  test('fails the task with a non-retryable Model.CatalogInvalid (a workflow-task retry would read the same catalog)', () => {
    let failure: unknown;
    try {
      tierChain(description, 'large');
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({
      name: 'ApplicationFailure',
      type: 'Model.CatalogInvalid',
      nonRetryable: true,
      message:
        'tier "large" has no models; known tiers: small, large: fix the model catalog\'s tiers or routing and run the task again',
    });
  });
});
