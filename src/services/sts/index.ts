// The STS service module: temporary credentials (AssumeRole, GetSessionToken) and GetCallerIdentity, all kept by
// IAM (sessions are IAM's credentials); STS has no state of its own and no module API.
import type { ServiceModule } from '../../server/service.js';
import type { IamApi } from '../iam/index.js';
import { stsRoutes } from './api.js';

export interface StsDeps {
  readonly iam: IamApi;
}
export type StsApi = Record<string, never>;

export const stsService: ServiceModule<StsDeps, StsApi> = {
  name: 'sts',
  async create(ctx) {
    return { routes: stsRoutes(ctx.deps.iam, ctx.config.accountId), api: {}, start: async () => {}, stop: async () => {} };
  },
};
