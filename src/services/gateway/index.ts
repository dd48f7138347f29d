// The HTTP front doors service: function URLs and the API Gateway/ALB gateway, as raw routes plus the route table API.
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import type { LambdaInvoker } from '../lambda/invoker.js';
import type { UrlRegistry } from '../lambda/urls.js';
import { gatewayApiRoutes } from './api.js';
import { gatewayDoor } from './gateway-door.js';
import { RouteTable } from './routes.js';
import { urlDoor } from './url-door.js';

export interface GatewayService {
  routes: ServiceRoutes;
  /** The route table (the SAM support feeds it from templates). */
  table: RouteTable;
}

export async function createGateway(d: {
  store: Store;
  clock: Clock;
  accountId: string;
  invoker: LambdaInvoker;
  urls: UrlRegistry;
  onInternalError: (e: unknown, where: string) => void;
}): Promise<GatewayService> {
  const table = new RouteTable(d.store);
  await table.load();
  return {
    table,
    routes: {
      raw: [urlDoor({ ...d }), gatewayDoor({ ...d, table })],
      rest: gatewayApiRoutes(table),
    },
  };
}
