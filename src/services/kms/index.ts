// The KMS service module and its module API: other services (Secrets Manager, SSM) encrypt and decrypt through it.
import { join } from 'node:path';
import type { ServiceModule } from '../../server/service.js';
import { kmsRoutes } from './api.js';
import { withGrants } from './key-policy.js';
import { Keys } from './keys.js';
import { MasterKey } from './master.js';

export interface KmsApi {
  /** The ARN of a key named by id, ARN, alias name or alias ARN (NotFoundException otherwise). */
  keyArn(region: string, keyId: string): Promise<string>;
  /** The AWS managed key behind `alias/aws/<service>` (created on first use); its ARN. */
  awsManagedKey(region: string, alias: string): Promise<string>;
  /** Encrypts under an enabled key (DisabledException, KMSInvalidStateException as the API answers). */
  encrypt(region: string, keyId: string, plaintext: Buffer, context?: Record<string, string>): Promise<{ blob: Buffer; keyArn: string }>;
  /** Decrypts a blob made by encrypt(); the blob names its key. */
  decrypt(region: string, blob: Buffer, context?: Record<string, string>): Promise<{ plaintext: Buffer; keyArn: string }>;
  /** The key policy of a key named by key or alias ARN, its grants as further statements (the authorizer's resource policy for KMS). */
  keyPolicy(arn: string): Promise<string | undefined>;
}

export type KmsDeps = Record<string, never>;

/** Default place of the master key: beside the store, outside it. */
export const masterKeyPath = (dataDir: string, configured?: string): string => configured ?? join(dataDir, 'kms-master.key');

export const kmsService: ServiceModule<KmsDeps, KmsApi> = {
  name: 'kms',
  async create(ctx) {
    const master = await MasterKey.load(masterKeyPath(ctx.config.dataDir, ctx.config.kmsMasterKeyFile));
    const keys = new Keys({ store: ctx.store, clock: ctx.clock, master, accountId: ctx.config.accountId });
    await keys.init();
    const api: KmsApi = {
      keyArn: async (region, keyId) => (await keys.find(region, keyId)).arn,
      awsManagedKey: async (region, alias) => (await keys.awsManaged(region, alias)).arn,
      encrypt: async (region, keyId, plaintext, context) => {
        const k = await keys.usable(region, keyId);
        return { blob: keys.encrypt(k, plaintext, context), keyArn: k.arn };
      },
      keyPolicy: async (arn) => {
        try {
          const k = await keys.find(arn.split(':')[3] ?? '', arn);
          return withGrants(k.policy, await keys.grants(k.arn));
        } catch {
          return undefined;
        }
      },
      decrypt: async (region, blob, context) => {
        const r = await keys.decrypt(region, blob, context);
        return { plaintext: r.plaintext, keyArn: r.key.arn };
      },
    };
    return { routes: kmsRoutes(keys, ctx.config.accountId), api, start: async () => {}, stop: async () => {} };
  },
};
