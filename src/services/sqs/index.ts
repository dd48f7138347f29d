// Builds the SQS service: its domain (queues, messages, the QueueBroker module API) and its wire routes.
import type { Journal } from '../../store/journal.js';
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import { sqsRoutes } from './api.js';
import type { QueueBroker } from './broker.js';
import { SqsService } from './service.js';

export interface SqsServiceHandle {
  routes: ServiceRoutes;
  broker: QueueBroker;
  service: SqsService;
  /** Ends long polls so that the HTTP server can drain; call before closing it. */
  release(): void;
  close(): Promise<void>;
}

export async function createSqsService(o: { store: Store; clock: Clock; accountId: string; endpointUrl: () => string; log?: (m: string) => void; journal?: Journal }): Promise<SqsServiceHandle> {
  const service = new SqsService(o);
  await service.init();
  return { routes: sqsRoutes(service), broker: service.broker, service, release: () => service.release(), close: () => service.close() };
}
