// Lambda durable functions (executions that checkpoint, wait and resume through AWS's durable-execution SDK): the
// part of the Lambda service that the service's index.ts composes. Nothing outside services/lambda imports it.
import type { Clock } from '../../../lib/clock.js';
import type { ApiRequest, ApiResponse, RestRoute } from '../../../server/types.js';
import type { Notifier } from '../../../store/notifier.js';
import type { Store } from '../../../store/store.js';
import type { WorkQueues } from '../../../store/work.js';
import type { LambdaInvoker, Resolved } from '../invoker.js';
import { durableInvoke, durableRoutes } from './api.js';
import { DurableDriver } from './driver.js';
import { DurableExecutions } from './executions.js';
import { DurableStore } from './store.js';

export { checkDurableConfig, type DurableConfig } from './config.js';

export interface DurableDeps {
  store: Store;
  work: WorkQueues;
  clock: Clock;
  notifier: Notifier;
  invoker: LambdaInvoker;
  accountId: string;
  shared: boolean;
  log: (m: string) => void;
}

export interface Durable {
  readonly routes: RestRoute[];
  /** Invoke of a function with a DurableConfig: starts an execution (the Invoke API calls it for those). */
  invoke(req: ApiRequest, type: string, resolved: Resolved, payload: Buffer): Promise<ApiResponse>;
  readonly driver: DurableDriver;
  start(): void;
  stop(): Promise<void>;
}

/** Builds the durable part and prepares its tables; starts nothing (start() does). */
export async function createDurable(d: DurableDeps): Promise<Durable> {
  const store = new DurableStore(d.store);
  await store.init();
  const driver = new DurableDriver({ store, work: d.work, clock: d.clock, notifier: d.notifier, invoker: d.invoker, shared: d.shared, log: d.log });
  await driver.init();
  const executions = new DurableExecutions({ store, driver, work: d.work, clock: d.clock, notifier: d.notifier, accountId: d.accountId });
  return {
    routes: durableRoutes(executions, async (region, name) => void (await d.invoker.resolveFresh(region, name))),
    invoke: (req, type, resolved, payload) => durableInvoke(executions, req, type, resolved, payload),
    driver,
    start: () => driver.start(),
    stop: () => driver.stop(),
  };
}
