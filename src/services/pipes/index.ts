// EventBridge Pipes (the `pipes` API): pipes from a source to a target, stored in the store, with AWS's lifecycle
// states. Only the control plane is here yet: a pipe's records are not moved (see docs/pipes.md).
import type { ServiceModule } from '../../server/service.js';
import { pipesRoutes } from './api.js';
import { PipeTables } from './model.js';

/** Nothing yet: the data plane will take SQS, Lambda, SNS, EventBridge and Step Functions. */
export type PipesDeps = Record<string, never>;

/** Nothing yet: no other service uses pipes. */
export type PipesApi = Record<string, never>;

export const pipesService: ServiceModule<PipesDeps, PipesApi> = {
  name: 'pipes',
  async create(ctx) {
    const tables = new PipeTables(ctx.store);
    await tables.migrate();
    return {
      routes: { rest: pipesRoutes(tables, ctx.clock, ctx.config.accountId, { changed: () => {} }) },
      api: {},
      start: async () => {},
      stop: async () => {},
    };
  },
};
