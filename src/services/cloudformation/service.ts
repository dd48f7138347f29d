// The cloudformation service module: stacks on the store, driven by the engine; resources through callService.
import type { ServiceModule } from '../../server/service.js';
import { cloudformationRoutes } from './api.js';
import { loopbackCaller } from './stack/call.js';
import { Engine, MIGRATIONS } from './stack/engine.js';
import type { SsmApi } from '../ssm/index.js';
import type { SecretsApi } from '../secretsmanager/index.js';

/** Dynamic references and SSM parameter types read SSM Parameter Store and Secrets Manager through their module APIs. */
export interface CloudFormationDeps {
  readonly ssm?: SsmApi;
  readonly secrets?: SecretsApi;
}

export const cloudformationService: ServiceModule<CloudFormationDeps, Record<string, never>> = {
  name: 'cloudformation',
  async create(ctx) {
    await ctx.store.migrate('cloudformation', MIGRATIONS);
    const engine = new Engine({
      store: ctx.store,
      clock: ctx.clock,
      leases: ctx.cluster.leases,
      call: loopbackCaller(() => ctx.config.endpointUrl(), ctx.config.defaultRegion, ctx.config.rootKey),
      accountId: ctx.config.accountId,
      log: ctx.log,
      sources: { ...(ctx.deps.ssm ? { ssm: ctx.deps.ssm } : {}), ...(ctx.deps.secrets ? { secrets: ctx.deps.secrets } : {}) },
    });
    return {
      routes: cloudformationRoutes(engine, () => ctx.clock.now()),
      api: {},
      start: () => engine.resume(),
      stop: async () => {},
    };
  },
};
