// The HTTP front doors service: function URLs and the API Gateway/ALB gateway, as raw routes plus the route table API.
import { StartupError, type ServiceModule } from '../../server/service.js';
import type { LambdaApi } from '../lambda/index.js';
import { gatewayApiRoutes } from './api.js';
import { loadGatewayConfig } from './config.js';
import { gatewayDoor } from './gateway-door.js';
import { RouteTable } from './routes.js';
import { urlDoor } from './url-door.js';

export type { RouteTable } from './routes.js';
/** The event builders, for tools that make sample events (`selfless generate-event`). */
export { albEvent, v1Event, v2Event } from './events.js';
export type { HttpRequestInfo } from './request.js';

export interface GatewayDeps {
  /** Invokes the functions behind URLs and routes; function URL configurations. */
  readonly lambda: LambdaApi;
}

export interface GatewayApi {
  /** The route table (the SAM support feeds it from templates). */
  readonly table: RouteTable;
}

export const gatewayService: ServiceModule<GatewayDeps, GatewayApi> = {
  name: 'gateway',
  async create(ctx) {
    const table = new RouteTable(ctx.store);
    await table.load();
    if (ctx.config.gatewayConfig) {
      try {
        await loadGatewayConfig(table, ctx.config.gatewayConfig, ctx.config.defaultRegion);
      } catch (e) {
        throw new StartupError(e instanceof Error ? e.message : String(e));
      }
    }
    const d = {
      store: ctx.store,
      clock: ctx.clock,
      accountId: ctx.config.accountId,
      invoker: ctx.deps.lambda.invoker,
      urls: ctx.deps.lambda.urls,
      onInternalError: (e: unknown, where: string): void => ctx.log(`selfless: internal error in ${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    };
    return {
      api: { table },
      routes: {
        raw: [urlDoor(d), gatewayDoor({ ...d, table })],
        rest: gatewayApiRoutes(table),
      },
      start: async () => {},
      stop: async () => {},
    };
  },
};
