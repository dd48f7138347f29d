// The SSM Parameter Store module and its module API: resolve() answers `{{resolve:ssm:name:version}}` references.
import type { ServiceModule } from '../../server/service.js';
import type { KmsApi } from '../kms/index.js';
import { ssmRoutes } from './api.js';
import { Params } from './params.js';

export interface SsmApi {
  /** The value of `{{resolve:ssm:name[:version]}}` (or `ssm-secure`, decrypted); ParameterNotFound / ParameterVersionNotFound otherwise. */
  resolve(region: string, reference: string): Promise<string>;
  /** The Type (String, StringList, SecureString) of `name[:version]`: CloudFormation refuses SecureString outside ssm-secure. */
  typeOf(region: string, reference: string): Promise<string>;
}
export interface SsmDeps { readonly kms: KmsApi }

export const ssmService: ServiceModule<SsmDeps, SsmApi> = {
  name: 'ssm',
  async create(ctx) {
    const params = new Params({ store: ctx.store, clock: ctx.clock, kms: ctx.deps.kms, accountId: ctx.config.accountId });
    await params.init();
    const api: SsmApi = {
      resolve: async (region, reference) => {
        const m = /^\{\{resolve:(ssm|ssm-secure):([^}]+)\}\}$/.exec(reference.trim());
        const inner = m ? m[2]! : reference;
        return params.value(await params.select(region, inner), true);
      },
      typeOf: async (region, reference) => (await params.select(region, reference)).type,
    };
    return { routes: ssmRoutes(params), api, start: async () => {}, stop: async () => {} };
  },
};
