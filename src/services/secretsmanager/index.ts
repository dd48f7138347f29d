// The Secrets Manager module and its module API: resolve() answers `{{resolve:secretsmanager:…}}` references.
import type { ServiceModule } from '../../server/service.js';
import type { KmsApi } from '../kms/index.js';
import type { LambdaApi } from '../lambda/index.js';
import { Rotation } from './rotation.js';
import { AwsError } from '../../lib/errors.js';
import { secretsRoutes } from './api.js';
import { Secrets } from './secrets.js';

export interface SecretsApi {
  /**
   * The value of `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}` (every part after
   * secret-id optional; json-key picks one key of a JSON SecretString). Throws ResourceNotFoundException and
   * InvalidRequestException as the API does.
   */
  resolve(region: string, reference: string): Promise<string>;
  /** The resource policy (PutResourcePolicy's text) of a secret named by full or partial ARN; undefined when none. */
  resourcePolicy(arn: string): Promise<string | undefined>;
}
/** KMS encrypts the values; Lambda runs the rotation functions. */
export interface SecretsDeps { readonly kms: KmsApi; readonly lambda: LambdaApi }

export const secretsManagerService: ServiceModule<SecretsDeps, SecretsApi> = {
  name: 'secretsmanager',
  async create(ctx) {
    const secrets = new Secrets({ store: ctx.store, clock: ctx.clock, kms: ctx.deps.kms, accountId: ctx.config.accountId });
    await secrets.init();
    // AWS invokes a rotation function as secretsmanager.amazonaws.com: its resource policy must allow that (enforce
    // mode refuses; dev mode logs what AWS would refuse).
    const mayInvoke = (region: string, functionArn: string, secretArn: string): boolean => {
      if (ctx.deps.lambda.allowsService(region, functionArn, 'secretsmanager.amazonaws.com', { sourceArn: secretArn, sourceAccount: ctx.config.accountId })) return true;
      if (ctx.config.authMode === 'enforce') return false;
      ctx.log(`selfless: would be refused on AWS: the policy of ${functionArn} does not allow secretsmanager.amazonaws.com to invoke it (AddPermission with Principal secretsmanager.amazonaws.com); dev mode allows it`);
      return true;
    };
    const rotation = new Rotation({ secrets, invoker: () => ctx.deps.lambda.invoker, work: ctx.cluster.work, clock: ctx.clock, mayInvoke, log: ctx.log });
    const api: SecretsApi = {
      resourcePolicy: async (arn) => {
        try {
          return (await secrets.find(arn.split(':')[3] ?? '', arn, { deleted: true })).policy ?? undefined;
        } catch {
          return undefined;
        }
      },
      resolve: async (region, reference) => {
        const m = /^\{\{resolve:secretsmanager:(.+)\}\}$/.exec(reference.trim());
        let inner = m ? m[1]! : reference;
        let id: string;
        // A full ARN holds colons itself: take its seven parts first.
        const arn = /^(arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:[^:]+)(?::(.*))?$/.exec(inner);
        if (arn) {
          id = arn[1]!;
          inner = arn[2] ?? '';
        } else {
          const i = inner.indexOf(':');
          id = i < 0 ? inner : inner.slice(0, i);
          inner = i < 0 ? '' : inner.slice(i + 1);
        }
        const [field = 'SecretString', jsonKey = '', stage = '', versionId = ''] = inner ? inner.split(':') : [];
        if (field !== 'SecretString') throw new AwsError('InvalidRequestException', 'Dynamic references to secrets support SecretString only.', { status: 400 });
        const x = await secrets.find(region, id);
        const { value } = await secrets.value(x, versionId || undefined, stage || (versionId ? undefined : 'AWSCURRENT'));
        const text = value.toString('utf8');
        if (!jsonKey) return text;
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch {
          throw new AwsError('InvalidRequestException', 'The secret value is not a JSON object, so a json-key cannot be resolved.', { status: 400 });
        }
        const v = obj && typeof obj === 'object' ? (obj as Record<string, unknown>)[jsonKey] : undefined;
        if (v === undefined) throw new AwsError('InvalidRequestException', `The secret value has no key ${jsonKey}.`, { status: 400 });
        return typeof v === 'string' ? v : JSON.stringify(v);
      },
    };
    return { routes: secretsRoutes(secrets, rotation), api, start: () => rotation.start(), stop: () => rotation.stop() };
  },
};
