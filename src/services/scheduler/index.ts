// Builds the scheduler service: EventBridge scheduled rules (AWSEvents.*) that invoke Lambda and SQS targets.
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import type { QueueBroker } from '../sqs/broker.js';
import { eventsRoutes } from './api.js';
import { Rules } from './rules.js';

export interface SchedulerService {
  routes: ServiceRoutes;
  rules: Rules;
  /** Arms the timers of enabled scheduled rules (missed fires are not replayed). */
  start(): void;
  stop(): void;
}

export async function createSchedulerService(o: {
  store: Store;
  clock: Clock;
  accountId: string;
  invokeAsync(region: string, functionName: string, qualifier: string | undefined, payload: Buffer): Promise<void>;
  queues: () => QueueBroker | undefined;
  log(msg: string): void;
}): Promise<SchedulerService> {
  const rules = new Rules(o);
  await rules.load();
  return { routes: eventsRoutes(rules, o.clock), rules, start: () => rules.start(), stop: () => rules.stop() };
}
