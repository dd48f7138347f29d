// The SNS service: topics, subscriptions and Publish intake (snsService, before Lambda, so that Lambda can publish
// its DLQ messages and destination records), and the delivery workers (snsDeliveryService, after Lambda and Step
// Functions, since they invoke functions). Its module API is SnsApi.publish.
import type { ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { snsRoutes } from './api.js';
import { DeliveryWorker, type DeliverySource } from './delivery.js';
import { Intake } from './intake.js';
import { preparePublish } from './publish.js';
import { Registry } from './registry.js';
import { Signer } from './signing.js';
import { Subscriptions } from './subscriptions.js';
import { Topics } from './topics.js';

export interface SnsPublishInput {
  topicArn: string;
  message: string;
  subject?: string;
  messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>;
  messageStructure?: 'json';
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

export interface SnsApi {
  /** A topic's access policy (its Policy attribute), if the topic exists. */
  topicPolicy(topicArn: string): Promise<string | undefined>;
  /** Publish as the API does (durable before it resolves; deliveries happen later); throws the API's AwsErrors. */
  publish(region: string, input: SnsPublishInput): Promise<{ messageId: string; sequenceNumber?: string }>;
}

/** The intake's API: SnsApi for every service, and what the delivery module reads (subscriptions, signing). */
export interface SnsIntakeApi extends SnsApi {
  readonly delivery: DeliverySource;
}

const PRUNE_MS = 60_000;

export const snsService: ServiceModule<Record<string, never>, SnsIntakeApi> = {
  name: 'sns',
  async create(ctx) {
    const accountId = ctx.config.accountId;
    const onError = (e: unknown): void => ctx.log(`selfless: ${e instanceof Error ? e.message : String(e)}`);
    const registry = new Registry(ctx.store, ctx.notifier, onError);
    await registry.load();
    const signer = await Signer.load(ctx.store, ctx.clock.now());
    const intake = new Intake({ store: ctx.store, journal: ctx.journal, clock: ctx.clock, notifier: ctx.notifier, work: ctx.cluster.work, registry });
    const topics = new Topics(registry, accountId);
    const subscriptions = new Subscriptions(registry, intake, accountId);
    const base = (): string => ctx.config.endpointUrl();
    let cancelPrune: (() => void) | undefined;
    const armPrune = (): void => {
      cancelPrune = ctx.clock.setTimer(PRUNE_MS, () => {
        void intake
          .prune()
          .catch(onError)
          .finally(() => {
            if (cancelPrune) armPrune();
          });
      });
    };
    return {
      routes: snsRoutes({ registry, topics, subscriptions, intake, signer, accountId }),
      api: {
        topicPolicy: async (arn) => (await registry.topic(arn))?.attributes['Policy'],
        async publish(region, input) {
          void region;
          const t = await topics.require(input.topicArn);
          return intake.publish(
            t,
            preparePublish(t, {
              message: input.message,
              subject: input.subject,
              messageStructure: input.messageStructure,
              messageAttributes: input.messageAttributes,
              messageGroupId: input.messageGroupId,
              messageDeduplicationId: input.messageDeduplicationId,
            }),
          );
        },
        delivery: {
          subscription: (arn) => registry.subscription(arn),
          topic: (arn) => registry.topic(arn),
          sign: (m, v) => signer.sign(m, v),
          signingCertUrl: () => `${base()}/_selfless/sns/${signer.certFile}`,
          unsubscribeUrl: (arn) => `${base()}/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(arn)}`,
          subscribeUrl: (arn, token) => `${base()}/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(arn)}&Token=${token}`,
        },
      },
      start: async () => armPrune(),
      stop: async () => {
        const c = cancelPrune;
        cancelPrune = undefined;
        c?.();
        registry.close();
      },
    };
  },
};

export interface SnsDeliveryDeps {
  readonly sns: SnsIntakeApi;
  readonly lambda: LambdaApi;
  readonly queues: SqsApi;
}

export const snsDeliveryService: ServiceModule<SnsDeliveryDeps, Record<string, never>> = {
  name: 'sns-delivery',
  async create(ctx) {
    const worker = new DeliveryWorker({
      clock: ctx.clock,
      work: ctx.cluster.work,
      notifier: ctx.notifier,
      source: ctx.deps.sns.delivery,
      lambda: ctx.deps.lambda,
      queues: ctx.deps.queues,
      log: ctx.log,
      shared: ctx.store.kind === 'postgres',
      authMode: ctx.config.authMode,
    });
    return { routes: {}, api: {}, start: async () => worker.start(), stop: () => worker.stop() };
  },
};
