// Builds the scheduler service: EventBridge scheduled rules (AWSEvents.*) that invoke Lambda and SQS targets.
import type { ServiceRoutes } from '../../server/types.js';
import { eventsRoutes } from './api.js';
import { Rules, type SchedulerDeps } from './rules.js';

export interface SchedulerService {
  routes: ServiceRoutes;
  rules: Rules;
  /** Arms the timers of enabled scheduled rules (missed fires are not replayed). */
  start(): void;
  stop(): void;
}

export async function createSchedulerService(o: SchedulerDeps): Promise<SchedulerService> {
  const rules = new Rules(o);
  await rules.load();
  return { routes: eventsRoutes(rules, o.clock), rules, start: () => rules.start(), stop: () => rules.stop() };
}
