// The Step Functions service: builds the model (and resumes running executions) and its API routes.
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import type { LambdaInvoker } from '../lambda/invoker.js';
import type { QueueBroker } from '../sqs/broker.js';
import { statesRoutes } from './api.js';
import { StatesModel } from './service.js';

export interface StatesService {
  routes: ServiceRoutes;
  model: StatesModel;
  close(): Promise<void>;
}

export async function createStatesService(d: { store: Store; clock: Clock; lambda?: LambdaInvoker; queues?: QueueBroker; accountId: string }): Promise<StatesService> {
  const model = new StatesModel(d.store, d.clock, d.accountId, d.lambda, d.queues);
  await model.init();
  return { routes: statesRoutes(model), model, close: () => model.close() };
}
