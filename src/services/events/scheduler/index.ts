// EventBridge Scheduler (the `scheduler` API): schedule groups and one-time, rate and cron schedules in time zones,
// fired once per scheduled time across a cluster into universal-style targets (Lambda async, SQS, Step Functions,
// SNS, EventBridge), with retries and a dead-letter queue.
import type { ServiceModule } from '../../../server/service.js';
import type { LambdaApi } from '../../lambda/index.js';
import type { SqsApi } from '../../sqs/index.js';
import type { StatesApi } from '../../states/index.js';
import { schedulerRoutes } from './api.js';
import { Firing, type Deliver } from './firing.js';
import { ScheduleTables } from './model.js';
import type { SnsApi } from '../../sns/index.js';
import type { EventsApi } from '../index.js';

export interface EventSchedulerDeps {
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
  readonly states: StatesApi;
  readonly sns: SnsApi;
  readonly events: EventsApi;
}

/** Nothing yet: no other service uses the scheduler. */
export type EventSchedulerApi = Record<string, never>;

class TargetError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const eventSchedulerService: ServiceModule<EventSchedulerDeps, EventSchedulerApi> = {
  name: 'eventScheduler',
  async create(ctx) {
    const { lambda, queues, states, sns, events } = ctx.deps;
    const tables = new ScheduleTables(ctx.store);
    await tables.migrate();
    const deliver: Deliver = async (fire, input) => {
      const arn = fire.target.Arn;
      const p = arn.split(':');
      const [service, region] = [p[2], p[3] ?? fire.region];
      if (service === 'lambda' && p[5] === 'function' && p[6]) {
        await lambda.enqueueAsync(region, p[6], p[7], Buffer.from(input));
      } else if (service === 'sqs') {
        const fifo = arn.endsWith('.fifo');
        await queues.send(arn, {
          body: input,
          ...(fire.target.SqsParameters?.MessageGroupId ? { messageGroupId: fire.target.SqsParameters.MessageGroupId } : {}),
          ...(fifo ? { messageDeduplicationId: fire.executionId } : {}),
        });
      } else if (service === 'states') {
        await states.startExecution(region, arn, input);
      } else if (service === 'sns') {
        await sns.publish(region, { topicArn: arn, message: input, ...(arn.endsWith('.fifo') ? { messageGroupId: fire.target.SqsParameters?.MessageGroupId ?? fire.groupName, messageDeduplicationId: fire.executionId } : {}) });
      } else if (service === 'events' && p[5]?.startsWith('event-bus/')) {
        const eb = fire.target.EventBridgeParameters;
        const r = await events.putEvents(region, [{ Source: eb?.Source ?? 'aws.scheduler', DetailType: eb?.DetailType ?? 'Scheduled Event', Detail: input, Resources: [fire.scheduleArn], EventBusName: arn }]);
        const e = r.Entries[0];
        if (r.FailedEntryCount > 0 && e && 'ErrorCode' in e) throw new TargetError(e.ErrorCode, e.ErrorMessage);
      } else {
        throw new TargetError('UnsupportedTarget', `Target ${arn} is not supported by selfless.`);
      }
    };
    const firing = new Firing({
      store: ctx.store,
      clock: ctx.clock,
      notifier: ctx.notifier,
      work: ctx.cluster.work,
      tables,
      accountId: ctx.config.accountId,
      deliver,
      // The dead-letter message: the input as it was sent, with AWS's attributes saying why it ended there.
      deadLetter: async (fire, input, error, condition, retries) => {
        const str = (v: string) => ({ DataType: 'String', StringValue: v });
        const [code = 'Error', ...rest] = error.split(': ');
        await queues.send(fire.target.DeadLetterConfig!.Arn!, {
          body: input,
          messageAttributes: {
            ERROR_CODE: str(code),
            ERROR_MESSAGE: str(rest.join(': ') || code),
            EXHAUSTED_RETRY_CONDITION: str(condition),
            RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(retries) },
            SCHEDULE_ARN: str(fire.scheduleArn),
            TARGET_ARN: str(fire.target.Arn),
            INVOCATION_ID: str(fire.executionId),
          },
        });
      },
      log: ctx.log,
    });
    return {
      routes: { rest: schedulerRoutes(tables, firing, ctx.clock, ctx.config.accountId) },
      api: {},
      // Arms the timers of enabled schedules and claims pending fires (also those a stopped node left).
      start: () => firing.start(),
      stop: () => firing.stop(),
    };
  },
};
