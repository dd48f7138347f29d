// AWS Signer, the part Lambda code signing needs: signing platforms and profiles (signerService, before Lambda, whose
// deploy-time checks read signatures through its API) and signing jobs (signerJobsService, after S3, which they read
// from and write to). The signature format is selfless's own (signature.ts).
import type { ServiceModule } from '../../server/service.js';
import type { KmsApi } from '../kms/index.js';
import type { S3Api } from '../s3/index.js';
import { jobRoutes, signerRoutes } from './api.js';
import { SignerData, type SignatureVerdict } from './profiles.js';

export type { SignatureVerdict } from './profiles.js';

export interface SignerDeps {
  /** Profile versions' private keys are sealed under `alias/aws/signer`. */
  readonly kms: KmsApi;
}

export interface SignerApi {
  /** What a code package's embedded signature says: unsigned, not intact, or intact with its expiry and revocation. */
  inspect(zip: Buffer): Promise<SignatureVerdict>;
  /** The profiles, versions and jobs (for the signing-jobs module of this folder only). */
  readonly data: SignerData;
}

export const signerService: ServiceModule<SignerDeps, SignerApi> = {
  name: 'signer',
  async create(ctx) {
    const data = new SignerData(ctx.store, ctx.clock, ctx.deps.kms, ctx.config.accountId);
    await data.init();
    return { routes: { rest: signerRoutes(data) }, api: { inspect: (zip) => data.inspect(zip), data }, start: async () => {}, stop: async () => {} };
  },
};

export interface SignerJobsDeps {
  readonly signer: SignerApi;
  /** Source objects are read from S3 and signed objects written to it. */
  readonly s3: S3Api;
}

export const signerJobsService: ServiceModule<SignerJobsDeps, Record<string, never>> = {
  name: 'signer-jobs',
  async create(ctx) {
    return { routes: { rest: jobRoutes(ctx.deps.signer.data, ctx.deps.s3) }, api: {}, start: async () => {}, stop: async () => {} };
  },
};
