// The SQS service: its domain (queues, messages), its wire routes, and the QueueBroker module API other services use.
import type { ServiceModule } from '../../server/service.js';
import { sqsRoutes } from './api.js';
import type { QueueBroker } from './broker.js';
import { SqsService } from './service.js';

export { filterView, sqsRecord } from './event-record.js';
export type { MessageAttribute, OutgoingMessage, QueueBroker, QueueInfo, ReceivedMessage, SendResult } from './broker.js';

/** The SQS module API: queues by ARN (async destinations and DLQs, event source mappings, Step Functions, rules). */
export type SqsApi = QueueBroker;

export const sqsService: ServiceModule<Record<string, never>, SqsApi> = {
  name: 'sqs',
  async create(ctx) {
    const service = new SqsService({ store: ctx.store, clock: ctx.clock, accountId: ctx.config.accountId, endpointUrl: () => ctx.config.endpointUrl(), log: ctx.log, notifier: ctx.notifier, leases: ctx.cluster.leases });
    await service.init();
    return {
      routes: sqsRoutes(service),
      api: service.broker,
      start: async () => service.start(),
      // Long polls end before the HTTP server closes, so that it can drain; the queues close after every service
      // that sends to them has stopped.
      beforeHttpClose: () => service.release(),
      stop: () => service.close(),
    };
  },
};
