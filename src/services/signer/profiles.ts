// Signer's state: signing profiles and their versions (each a key pair, the private key sealed under KMS), signing
// jobs, revocations; and the check Lambda asks for: what a code package's signature says on this server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import type { Store } from '../../store/store.js';
import type { KmsApi } from '../kms/index.js';
import { alreadyRevoked, jobNotFound, profileNotActive, profileNotFound } from './errors.js';
import { readSignature, signatureHolds } from './signature.js';

export const SIGNER_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE signer_profiles (region TEXT NOT NULL, name TEXT NOT NULL, platform_id TEXT NOT NULL, status TEXT NOT NULL,
           validity_value INTEGER NOT NULL, validity_type TEXT NOT NULL, version TEXT NOT NULL, tags TEXT NOT NULL, revocation TEXT,
           created_at INTEGER NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE signer_profile_versions (arn TEXT NOT NULL PRIMARY KEY, region TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
           public_key TEXT NOT NULL, private_key TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_from INTEGER);
         CREATE TABLE signer_jobs (job_id TEXT NOT NULL PRIMARY KEY, region TEXT NOT NULL, token TEXT NOT NULL, job TEXT NOT NULL,
           created_at INTEGER NOT NULL);`,
  },
];

/** The one platform selfless signs for. */
export const LAMBDA_PLATFORM = {
  platformId: 'AWSLambda-SHA384-ECDSA',
  displayName: 'AWS Lambda',
  partner: 'AWSLambda',
  target: 'SHA384-ECDSA',
  category: 'AWS',
  signingConfiguration: {
    encryptionAlgorithmOptions: { allowedValues: ['ECDSA'], defaultValue: 'ECDSA' },
    hashAlgorithmOptions: { allowedValues: ['SHA384'], defaultValue: 'SHA384' },
  },
  signingImageFormat: { supportedFormats: ['JSONDetached'], defaultFormat: 'JSONDetached' },
  maxSizeInMB: 250,
  revocationSupported: true,
} as const;

export type ValidityType = 'DAYS' | 'MONTHS' | 'YEARS';

export interface ProfileRow {
  region: string;
  name: string;
  platform_id: string;
  status: 'Active' | 'Canceled' | 'Revoked';
  validity_value: number;
  validity_type: ValidityType;
  version: string;
  tags: string;
  revocation: string | null;
  created_at: number;
}

/** A signing job as DescribeSigningJob shows it (timestamps in epoch seconds, as the wire carries them). */
export interface JobRecord {
  jobId: string;
  source: { s3: { bucketName: string; key: string; version: string } };
  destination: { s3: { bucketName: string; prefix?: string } };
  platformId: string;
  platformDisplayName: string;
  profileName: string;
  profileVersion: string;
  createdAt: number;
  completedAt?: number;
  signatureExpiresAt?: number;
  requestedBy: string;
  status: 'InProgress' | 'Failed' | 'Succeeded';
  statusReason?: string;
  signedObject?: { s3: { bucketName: string; key: string } };
  revocationRecord?: { reason: string; revokedAt: number; revokedBy: string };
  jobOwner: string;
  jobInvoker: string;
}

/** What Lambda learns from a package's signature (selfless's format, see signature.ts). */
export type SignatureVerdict =
  | { signed: false }
  /** Signed by a profile version this server does not know (another account or server): not trusted, not checkable. */
  | { signed: true; known: false; profileVersionArn: string }
  /** The package was changed after signing, or the signature does not verify under the version's key: integrity fails. */
  | { signed: true; known: true; intact: false; profileVersionArn: string }
  | { signed: true; known: true; intact: true; profileVersionArn: string; jobArn: string; expired: boolean; revoked: boolean };

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const profileVersionId = (): string => [...randomBytes(10)].map((b) => ALNUM[b % ALNUM.length]).join('');

export class SignerData {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly kms: KmsApi,
    readonly accountId: string,
  ) {}

  /** The injected clock's time (ms): signing times and expiry. */
  now(): number {
    return this.clock.now();
  }

  init(): Promise<void> {
    return this.store.migrate('signer', SIGNER_MIGRATIONS);
  }

  profileArn(region: string, name: string): string {
    return `arn:aws:signer:${region}:${this.accountId}:/signing-profiles/${name}`;
  }

  jobArn(region: string, jobId: string): string {
    return `arn:aws:signer:${region}:${this.accountId}:/signing-jobs/${jobId}`;
  }

  profile(region: string, name: string): Promise<ProfileRow | undefined> {
    return this.store.get<ProfileRow>('SELECT * FROM signer_profiles WHERE region = ? AND name = ?', [region, name]);
  }

  async requireProfile(region: string, name: string): Promise<ProfileRow> {
    const p = await this.profile(region, name);
    if (!p) throw profileNotFound(name);
    return p;
  }

  profiles(region: string): Promise<ProfileRow[]> {
    return this.store.all<ProfileRow>('SELECT * FROM signer_profiles WHERE region = ? ORDER BY name', [region]);
  }

  /**
   * PutSigningProfile: a new profile, or a new version (a new key pair) of an active one. The private key is sealed
   * under the AWS managed key `alias/aws/signer`.
   */
  async put(region: string, p: { name: string; platformId: string; validity: { value: number; type: ValidityType }; tags: Record<string, string> }): Promise<ProfileRow> {
    const cur = await this.profile(region, p.name);
    if (cur && cur.status !== 'Active') throw profileNotActive(p.name, cur.status);
    const version = profileVersionId();
    const arn = `${this.profileArn(region, p.name)}/${version}`;
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const kmsKey = await this.kms.awsManagedKey(region, 'alias/aws/signer');
    const sealed = await this.kms.encrypt(region, kmsKey, privateKey.export({ format: 'der', type: 'pkcs8' }), { SigningProfileVersionArn: arn });
    const now = this.clock.now();
    const tags = JSON.stringify({ ...(cur ? JSON.parse(cur.tags) : {}), ...p.tags });
    await this.store.tx(async (q) => {
      await q.run('INSERT INTO signer_profile_versions (arn, region, name, version, public_key, private_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        arn, region, p.name, version, publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), sealed.blob.toString('base64'), now,
      ]);
      await q.run(
        `INSERT INTO signer_profiles (region, name, platform_id, status, validity_value, validity_type, version, tags, created_at) VALUES (?, ?, ?, 'Active', ?, ?, ?, ?, ?)
           ON CONFLICT (region, name) DO UPDATE SET platform_id = excluded.platform_id, validity_value = excluded.validity_value,
           validity_type = excluded.validity_type, version = excluded.version, tags = excluded.tags`,
        [region, p.name, p.platformId, p.validity.value, p.validity.type, version, tags, now],
      );
    });
    return (await this.profile(region, p.name))!;
  }

  /** A profile named by its ARN (with or without a version), for the tag operations. */
  async profileByArn(region: string, arn: string): Promise<ProfileRow> {
    const m = /^arn:aws:signer:([a-z0-9-]+):(\d{12}):\/signing-profiles\/([a-zA-Z0-9_]+)(\/[a-zA-Z0-9]{10})?$/.exec(arn);
    if (!m || m[1] !== region || m[2] !== this.accountId) throw profileNotFound(arn);
    return this.requireProfile(region, m[3]!);
  }

  async setTags(p: ProfileRow, tags: Record<string, string>): Promise<void> {
    await this.store.run('UPDATE signer_profiles SET tags = ? WHERE region = ? AND name = ?', [JSON.stringify(tags), p.region, p.name]);
  }

  async cancel(region: string, name: string): Promise<void> {
    const p = await this.requireProfile(region, name);
    if (p.status === 'Active') await this.store.run("UPDATE signer_profiles SET status = 'Canceled' WHERE region = ? AND name = ?", [region, name]);
  }

  /** RevokeSigningProfile: signatures of that version made at or after `effectiveFrom` (ms) are no longer valid. */
  async revokeProfile(region: string, name: string, version: string, effectiveFrom: number, by: string): Promise<void> {
    const p = await this.requireProfile(region, name);
    if (p.status === 'Revoked') throw alreadyRevoked(`Signing profile ${name}`);
    const arn = `${this.profileArn(region, name)}/${version}`;
    const now = this.clock.now();
    const record = JSON.stringify({ revocationEffectiveFrom: Math.floor(effectiveFrom / 1000), revokedAt: Math.floor(now / 1000), revokedBy: by });
    await this.store.tx(async (q) => {
      const r = await q.run('UPDATE signer_profile_versions SET revoked_from = ? WHERE arn = ?', [effectiveFrom, arn]);
      if (r.changes === 0) throw profileNotFound(`${name} version ${version}`);
      await q.run("UPDATE signer_profiles SET status = 'Revoked', revocation = ? WHERE region = ? AND name = ?", [record, region, name]);
    });
  }

  /** The opened private key of a profile's current version (for a signing job). */
  async signingKey(region: string, name: string): Promise<{ profile: ProfileRow; versionArn: string; privateKeyDer: Buffer }> {
    const p = await this.requireProfile(region, name);
    if (p.status !== 'Active') throw profileNotActive(name, p.status);
    const versionArn = `${this.profileArn(region, name)}/${p.version}`;
    const row = await this.store.get<{ private_key: string }>('SELECT private_key FROM signer_profile_versions WHERE arn = ?', [versionArn]);
    if (!row) throw profileNotFound(name);
    const opened = await this.kms.decrypt(region, Buffer.from(row.private_key, 'base64'), { SigningProfileVersionArn: versionArn });
    return { profile: p, versionArn, privateKeyDer: opened.plaintext };
  }

  // ---- jobs

  async job(jobId: string): Promise<JobRecord | undefined> {
    const r = await this.store.get<{ job: string }>('SELECT job FROM signer_jobs WHERE job_id = ?', [jobId]);
    return r ? (JSON.parse(r.job) as JobRecord) : undefined;
  }

  async requireJob(region: string, jobId: string): Promise<JobRecord> {
    const r = await this.store.get<{ job: string; region: string }>('SELECT job, region FROM signer_jobs WHERE job_id = ?', [jobId]);
    if (!r || r.region !== region) throw jobNotFound(jobId);
    return JSON.parse(r.job) as JobRecord;
  }

  /** The job an idempotency token already started (StartSigningJob's clientRequestToken). */
  async jobByToken(region: string, token: string): Promise<JobRecord | undefined> {
    const r = await this.store.get<{ job: string }>('SELECT job FROM signer_jobs WHERE region = ? AND token = ?', [region, token]);
    return r ? (JSON.parse(r.job) as JobRecord) : undefined;
  }

  async jobs(region: string): Promise<JobRecord[]> {
    const rows = await this.store.all<{ job: string }>('SELECT job FROM signer_jobs WHERE region = ? ORDER BY created_at DESC, job_id', [region]);
    return rows.map((r) => JSON.parse(r.job) as JobRecord);
  }

  async saveJob(region: string, token: string, job: JobRecord): Promise<void> {
    await this.store.run('INSERT INTO signer_jobs (job_id, region, token, job, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET job = excluded.job', [
      job.jobId, region, token, JSON.stringify(job), this.clock.now(),
    ]);
  }

  async revokeJob(region: string, jobId: string, reason: string, by: string): Promise<void> {
    const job = await this.requireJob(region, jobId);
    if (job.revocationRecord) throw alreadyRevoked(`Signing job ${jobId}`);
    job.revocationRecord = { reason, revokedAt: Math.floor(this.clock.now() / 1000), revokedBy: by };
    await this.store.run('UPDATE signer_jobs SET job = ? WHERE job_id = ?', [JSON.stringify(job), jobId]);
  }

  // ---- verification (Lambda's deploy-time checks)

  async inspect(zip: Buffer): Promise<SignatureVerdict> {
    const s = readSignature(zip);
    if (!s) return { signed: false };
    const v = await this.store.get<{ public_key: string; revoked_from: number | null }>('SELECT public_key, revoked_from FROM signer_profile_versions WHERE arn = ?', [s.profileVersionArn]);
    if (!v) return { signed: true, known: false, profileVersionArn: s.profileVersionArn };
    if (!signatureHolds(zip, s, Buffer.from(v.public_key, 'base64'))) return { signed: true, known: true, intact: false, profileVersionArn: s.profileVersionArn };
    const jobId = /\/signing-jobs\/([^/]+)$/.exec(s.jobArn)?.[1];
    const job = jobId ? await this.job(jobId) : undefined;
    const revoked = job?.revocationRecord !== undefined || (v.revoked_from !== null && s.signedAt >= v.revoked_from);
    return { signed: true, known: true, intact: true, profileVersionArn: s.profileVersionArn, jobArn: s.jobArn, expired: s.expiresAt <= this.clock.now(), revoked };
  }
}

/** When a signature made at `from` (ms) expires, for a profile's validity period. */
export function expiryOf(from: number, value: number, type: ValidityType): number {
  const d = new Date(from);
  if (type === 'DAYS') d.setUTCDate(d.getUTCDate() + value);
  else if (type === 'MONTHS') d.setUTCMonth(d.getUTCMonth() + value);
  else d.setUTCFullYear(d.getUTCFullYear() + value);
  return d.getTime();
}
