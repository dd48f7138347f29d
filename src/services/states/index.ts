// The Step Functions service: the model (machines, executions, tokens, activities) and its API routes; running
// Standard executions resume from their checkpoints when it starts.
import type { ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { statesRoutes } from './api.js';
import { StatesModel } from './service.js';

export interface StatesDeps {
  /** Task states invoke functions through Lambda's module API (the path the Invoke API uses). */
  readonly lambda: LambdaApi;
  /** The sqs:sendMessage integration. */
  readonly queues: SqsApi;
}

/** Nothing yet: no other service uses Step Functions. */
export type StatesApi = Record<string, never>;

export const statesService: ServiceModule<StatesDeps, StatesApi> = {
  name: 'states',
  async create(ctx) {
    const model = new StatesModel(ctx.store, ctx.clock, ctx.config.accountId, ctx.deps.lambda.invoker, ctx.deps.queues);
    await model.init();
    return {
      routes: statesRoutes(model),
      api: {},
      start: async () => model.resume(),
      // Stops the timers and flushes the history writes.
      stop: () => model.close(),
    };
  },
};
