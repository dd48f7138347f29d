// EventBridge (AWSEvents.*): buses, rules (event patterns and schedules), PutEvents intake, archives and replays
// (eventsService, before Lambda), and the target delivery workers (eventsDeliveryService, after Lambda, Step
// Functions and SNS): Lambda (async invoke), SQS, SNS, Step Functions and other buses, with input transformation,
// retries and dead-letter queues. Intake and delivery meet only in the store: deliveries are durable work items.
import { targetInput } from '../../lib/event-input.js';
import type { ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SnsApi } from '../sns/index.js';
import type { SqsApi } from '../sqs/index.js';
import type { StatesApi } from '../states/index.js';
import { busRoutes } from './api-buses.js';
import { ruleRoutes } from './api-rules.js';
import { Archives } from './archives.js';
import { Catalog } from './catalog.js';
import { DeliveryWorker } from './delivery.js';
import { busNotFound, validation } from './errors.js';
import { Intake, type PutEntry } from './intake.js';
import { parseBusArn, type Archive, type Bus, type Delivery, type Replay } from './model.js';
import { Rules } from './rules.js';

export interface EventsPutEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: Date;
}

export interface EventsApi {
  /** PutEvents as the API does it (per-entry results); durable before it resolves; targets are delivered later. */
  putEvents(region: string, entries: EventsPutEntry[]): Promise<{ FailedEntryCount: number; Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] }>;
}

/** What the delivery module uses of the intake module besides PutEvents. */
export interface EventsIntakeApi extends EventsApi {
  /** An event sent on by a rule whose target is another bus (same account and region). */
  forward(region: string, bus: string, event: Record<string, unknown>): Promise<void>;
}

/** Test-only (see RulesDeps.rateMinuteMs): a shorter `rate()` minute, so live tests see several periods quickly. */
function testRateMinuteMs(): number | undefined {
  const v = Number(process.env['SELFLESS_TEST_RATE_MINUTE_MS']);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

const PRUNE_MS = 3_600_000;

export const eventsService: ServiceModule<Record<string, never>, EventsIntakeApi> = {
  name: 'events',
  async create(ctx) {
    const onError = (e: unknown): void => ctx.log(`selfless: events: ${e instanceof Error ? e.message : String(e)}`);
    let intake: Intake | undefined;
    const rules = new Rules({
      store: ctx.store,
      clock: ctx.clock,
      notifier: ctx.notifier,
      rateMinuteMs: testRateMinuteMs(),
      accountId: ctx.config.accountId,
      fire: (r, event) => intake!.fire(r, event),
      log: ctx.log,
    });
    await rules.load();
    const buses = new Catalog<Bus>(ctx.store, ctx.notifier, 'events_buses', onError);
    const archives = new Catalog<Archive>(ctx.store, ctx.notifier, 'events_archives', onError);
    const replays = new Catalog<Replay>(ctx.store, ctx.notifier, 'events_replays', onError);
    await Promise.all([buses.load(), archives.load(), replays.load()]);
    intake = new Intake({ store: ctx.store, clock: ctx.clock, accountId: ctx.config.accountId, rules, buses, archives, work: ctx.cluster.work });
    const busExists = (region: string, name: string): boolean => intake!.busExists(region, name);
    const archiver = new Archives({ store: ctx.store, clock: ctx.clock, accountId: ctx.config.accountId, archives, replays, intake, work: ctx.cluster.work, busExists, log: ctx.log });
    let cancelPrune: (() => void) | undefined;
    const prune = (): void => {
      cancelPrune = ctx.clock.setTimer(PRUNE_MS, () => {
        archiver.prune().catch(onError).finally(() => cancelPrune && prune());
      });
    };
    const api: EventsIntakeApi = {
      putEvents: (region, entries) => intake!.put(region, entries as PutEntry[], false),
      forward: (region, bus, event) => intake!.forward(region, bus, event),
    };
    return {
      routes: { json: [{ targetPrefix: 'AWSEvents', ops: { ...ruleRoutes(rules, ctx.clock, busExists), ...busRoutes({ buses, rules, intake, clock: ctx.clock, accountId: ctx.config.accountId }), ...archiver.routes() } }] },
      api,
      // Arms the timers of enabled scheduled rules (missed fires are not replayed) and resumes replays.
      start: async () => {
        rules.start();
        archiver.start();
        await archiver.prune().catch(onError);
        prune();
      },
      stop: async () => {
        const c = cancelPrune;
        cancelPrune = undefined;
        c?.();
        rules.stop();
        await archiver.stop();
        buses.close();
        archives.close();
        replays.close();
      },
    };
  },
};

export interface EventsDeliveryDeps {
  readonly events: EventsIntakeApi;
  /** Lambda targets are invoked asynchronously, through Lambda's durable async queue. */
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
  readonly states: StatesApi;
  /** SNS targets (absent until the SNS service is part of the node). */
  readonly sns: SnsApi;
}

const targetError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

export const eventsDeliveryService: ServiceModule<EventsDeliveryDeps, Record<string, never>> = {
  name: 'eventsDelivery',
  async create(ctx) {
    const { events, lambda, queues, states, sns } = ctx.deps;
    const send = async (d: Delivery): Promise<void> => {
      const arn = d.target.Arn;
      const p = arn.split(':');
      const region = p[3] ?? d.region;
      const input = (): string => targetInput(d.target, d.event, { ruleArn: d.ruleArn, ruleName: d.ruleName, ingestionTime: d.ingestion });
      switch (p[2]) {
        case 'lambda': {
          const ref = { name: p[6] ?? '', qualifier: p[7] };
          // A function that does not exist fails now (and goes to the dead-letter queue), as on AWS.
          lambda.invoker.resolve(region, ref.name, ref.qualifier);
          // EventBridge invokes as events.amazonaws.com from the rule: without a permission Lambda refuses, which is
          // not retried (NO_PERMISSIONS in the dead-letter attributes); dev mode only says so.
          if (!lambda.allowsService(region, arn, 'events.amazonaws.com', { sourceArn: d.ruleArn, sourceAccount: ctx.config.accountId })) {
            const message = `User: events.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no resource-based policy allows the lambda:InvokeFunction action`;
            if (ctx.config.authMode === 'enforce') throw targetError('NO_PERMISSIONS', message);
            ctx.log(`selfless: would be refused on AWS: rule ${d.ruleArn} target ${arn}: ${message}; dev mode invokes it`);
          }
          await lambda.enqueueAsync(region, ref.name, ref.qualifier, Buffer.from(input()));
          return;
        }
        case 'sqs': {
          const q = queues.queue(arn);
          if (!q) throw targetError('AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist.`);
          const group = d.target.SqsParameters?.MessageGroupId;
          await queues.send(arn, { body: input(), ...(q.fifo ? { messageGroupId: group ?? String(d.event['id']), messageDeduplicationId: String(d.event['id']) } : {}) });
          return;
        }
        case 'sns':
          await sns.publish(region, { topicArn: arn, message: input(), ...(d.target.SqsParameters?.MessageGroupId ? { messageGroupId: d.target.SqsParameters.MessageGroupId } : {}) });
          return;
        case 'states':
          await states.startExecution(region, arn, input());
          return;
        case 'events': {
          const bus = parseBusArn(arn);
          if (!bus) throw busNotFound(arn);
          await events.forward(bus.region, bus.name, d.event);
          return;
        }
        default:
          throw validation(`Target ${arn} is not supported.`);
      }
    };
    const worker = new DeliveryWorker({
      clock: ctx.clock,
      work: ctx.cluster.work,
      shared: ctx.store.kind === 'postgres',
      concurrency: 64,
      send,
      sendToQueue: async (arn, msg) => {
        await queues.send(arn, msg);
      },
      log: ctx.log,
    });
    return {
      routes: {},
      api: {},
      start: async () => worker.start(),
      stop: () => worker.stop(),
    };
  },
};
export { eventSchedulerService } from './scheduler/index.js';
