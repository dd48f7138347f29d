// The scheduler service: EventBridge scheduled rules (AWSEvents.*) that invoke Lambda (async) and SQS targets.
import type { ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { eventsRoutes } from './api.js';
import { Rules } from './rules.js';

export interface SchedulerDeps {
  /** Lambda targets are invoked asynchronously, through Lambda's durable async queue. */
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
}

/** Nothing yet: no other service uses the scheduler. */
export type SchedulerApi = Record<string, never>;

/** Test-only (see RulesDeps.rateMinuteMs): a shorter `rate()` minute, so live tests see several periods quickly. */
function testRateMinuteMs(): number | undefined {
  const v = Number(process.env['SELFLESS_TEST_RATE_MINUTE_MS']);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

export const schedulerService: ServiceModule<SchedulerDeps, SchedulerApi> = {
  name: 'scheduler',
  async create(ctx) {
    const { lambda, queues } = ctx.deps;
    const rules = new Rules({
      store: ctx.store,
      clock: ctx.clock,
      notifier: ctx.notifier,
      rateMinuteMs: testRateMinuteMs(),
      accountId: ctx.config.accountId,
      invokeAsync: (region, name, qualifier, payload) => lambda.enqueueAsync(region, name, qualifier, payload),
      queues,
      log: ctx.log,
    });
    await rules.load();
    return {
      routes: eventsRoutes(rules, ctx.clock),
      api: {},
      // Arms the timers of enabled scheduled rules (missed fires are not replayed).
      start: async () => rules.start(),
      stop: async () => rules.stop(),
    };
  },
};
