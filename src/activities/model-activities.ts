import { Context } from '@temporalio/activity';
import type { ModelCallInput, ModelCallResult } from '../contracts/activities';
import type { ModelGateway } from '../models/model-gateway';

/** Activities that call models; they run on the model task queue. */
export function createModelActivities(dependencies: { models: ModelGateway }) {
  return {
    /** Calls exactly the model it is given; routing and fallbacks are the workflow's. */
    async callModel(input: ModelCallInput): Promise<ModelCallResult> {
      return dependencies.models.complete(input, Context.current().cancellationSignal);
    },
  };
}
