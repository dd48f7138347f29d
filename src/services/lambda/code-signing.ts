// Code signing configurations and their attachment to functions, and the deploy-time check of a code package's
// signature against the attached configuration (AWS's integrity, expiry, mismatch and revocation checks, Warn/Enforce).
// State is read from the store on every use (control-plane calls only), so every node of a cluster agrees at once.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { lambdaTimestamp } from '../../lib/ids.js';
import type { Store } from '../../store/store.js';
import type { SignerApi } from '../signer/index.js';
import { codeSigningConfigInUse, codeSigningConfigMissing, codeSigningConfigNotFound, codeVerificationFailed, invalidCodeSignature } from './errors.js';

export const CODE_SIGNING_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_code_signing_configs (arn TEXT NOT NULL PRIMARY KEY, region TEXT NOT NULL, config TEXT NOT NULL, tags TEXT NOT NULL,
           created_at INTEGER NOT NULL);
         CREATE TABLE lambda_function_code_signing (region TEXT NOT NULL, name TEXT NOT NULL, config_arn TEXT NOT NULL, PRIMARY KEY (region, name));`,
  },
];

export type CodeSigningPolicy = 'Warn' | 'Enforce';

/** CodeSigningConfig exactly as the API shows it. */
export interface CodeSigningConfig {
  CodeSigningConfigId: string;
  CodeSigningConfigArn: string;
  Description: string;
  AllowedPublishers: { SigningProfileVersionArns: string[] };
  CodeSigningPolicies: { UntrustedArtifactOnDeployment: CodeSigningPolicy };
  LastModified: string;
}

/** What a deployed package records of its signature (FunctionConfiguration's members). */
export interface SigningFacts {
  SigningProfileVersionArn: string;
  SigningJobArn: string;
}

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

export class CodeSigning {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accountId: string,
    /** Absent: no Signer on this node, so no package carries a signature this server can check. */
    private readonly signer: SignerApi | undefined,
    /** Where Warn's warnings go (AWS publishes a SignatureValidationErrors metric and a CloudTrail record). */
    private readonly warn: (message: string) => void,
  ) {}

  init(): Promise<void> {
    return this.store.migrate('lambda_code_signing', CODE_SIGNING_MIGRATIONS);
  }

  async create(region: string, input: { Description?: string; AllowedPublishers: { SigningProfileVersionArns: string[] }; CodeSigningPolicies?: { UntrustedArtifactOnDeployment?: CodeSigningPolicy }; Tags?: Record<string, string> }): Promise<CodeSigningConfig> {
    const id = `csc-${[...randomBytes(17)].map((b) => ID_CHARS[b % ID_CHARS.length]).join('')}`;
    const c: CodeSigningConfig = {
      CodeSigningConfigId: id,
      CodeSigningConfigArn: `arn:aws:lambda:${region}:${this.accountId}:code-signing-config:${id}`,
      Description: input.Description ?? '',
      AllowedPublishers: { SigningProfileVersionArns: input.AllowedPublishers.SigningProfileVersionArns },
      CodeSigningPolicies: { UntrustedArtifactOnDeployment: input.CodeSigningPolicies?.UntrustedArtifactOnDeployment ?? 'Warn' },
      LastModified: lambdaTimestamp(this.clock.now()),
    };
    await this.store.run('INSERT INTO lambda_code_signing_configs (arn, region, config, tags, created_at) VALUES (?, ?, ?, ?, ?)', [
      c.CodeSigningConfigArn, region, JSON.stringify(c), JSON.stringify(input.Tags ?? {}), this.clock.now(),
    ]);
    return c;
  }

  async find(region: string, arn: string): Promise<CodeSigningConfig | undefined> {
    const r = await this.store.get<{ config: string }>('SELECT config FROM lambda_code_signing_configs WHERE arn = ? AND region = ?', [arn, region]);
    return r ? (JSON.parse(r.config) as CodeSigningConfig) : undefined;
  }

  /** The configuration, or ResourceNotFoundException (the configuration operations' answer). */
  async require(region: string, arn: string): Promise<CodeSigningConfig> {
    const c = await this.find(region, arn);
    if (!c) throw codeSigningConfigMissing(arn);
    return c;
  }

  /** The configuration, or CodeSigningConfigNotFoundException (what function operations answer). */
  async requireForFunction(region: string, arn: string): Promise<CodeSigningConfig> {
    const c = await this.find(region, arn);
    if (!c) throw codeSigningConfigNotFound(arn);
    return c;
  }

  /** A configuration's tags and how to replace them (TagResource, UntagResource, ListTags); undefined when missing. */
  async tags(region: string, arn: string): Promise<{ tags: Record<string, string>; setTags(tags: Record<string, string>): Promise<void> } | undefined> {
    const r = await this.store.get<{ tags: string }>('SELECT tags FROM lambda_code_signing_configs WHERE arn = ? AND region = ?', [arn, region]);
    if (!r) return undefined;
    return {
      tags: JSON.parse(r.tags) as Record<string, string>,
      setTags: async (tags) => {
        await this.store.run('UPDATE lambda_code_signing_configs SET tags = ? WHERE arn = ?', [JSON.stringify(tags), arn]);
      },
    };
  }

  async update(region: string, arn: string, input: { Description?: string; AllowedPublishers?: { SigningProfileVersionArns: string[] }; CodeSigningPolicies?: { UntrustedArtifactOnDeployment?: CodeSigningPolicy } }): Promise<CodeSigningConfig> {
    const cur = await this.require(region, arn);
    const next: CodeSigningConfig = {
      ...cur,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.AllowedPublishers ? { AllowedPublishers: { SigningProfileVersionArns: input.AllowedPublishers.SigningProfileVersionArns } } : {}),
      ...(input.CodeSigningPolicies?.UntrustedArtifactOnDeployment ? { CodeSigningPolicies: { UntrustedArtifactOnDeployment: input.CodeSigningPolicies.UntrustedArtifactOnDeployment } } : {}),
      LastModified: lambdaTimestamp(this.clock.now()),
    };
    await this.store.run('UPDATE lambda_code_signing_configs SET config = ? WHERE arn = ?', [JSON.stringify(next), arn]);
    return next;
  }

  /** Deletes a configuration no function uses (ResourceConflictException otherwise), in one transaction with the check. */
  async delete(region: string, arn: string): Promise<void> {
    await this.require(region, arn);
    await this.store.tx(async (q) => {
      if (await q.get('SELECT 1 AS x FROM lambda_function_code_signing WHERE config_arn = ? LIMIT 1', [arn])) throw codeSigningConfigInUse(arn);
      await q.run('DELETE FROM lambda_code_signing_configs WHERE arn = ?', [arn]);
    });
  }

  async list(region: string): Promise<CodeSigningConfig[]> {
    const rows = await this.store.all<{ config: string }>('SELECT config FROM lambda_code_signing_configs WHERE region = ? ORDER BY arn', [region]);
    return rows.map((r) => JSON.parse(r.config) as CodeSigningConfig);
  }

  /** The names of the functions a configuration is attached to, in name order. */
  async functionsOf(region: string, arn: string): Promise<string[]> {
    const rows = await this.store.all<{ name: string }>('SELECT name FROM lambda_function_code_signing WHERE region = ? AND config_arn = ? ORDER BY name', [region, arn]);
    return rows.map((r) => r.name);
  }

  async attached(region: string, name: string): Promise<string | undefined> {
    return (await this.store.get<{ config_arn: string }>('SELECT config_arn FROM lambda_function_code_signing WHERE region = ? AND name = ?', [region, name]))?.config_arn;
  }

  /** Attaches a configuration (it must exist: CodeSigningConfigNotFoundException), replacing the previous one. */
  async attach(region: string, name: string, arn: string): Promise<void> {
    await this.store.tx(async (q) => {
      if (!(await q.get('SELECT 1 AS x FROM lambda_code_signing_configs WHERE arn = ? AND region = ?', [arn, region]))) throw codeSigningConfigNotFound(arn);
      await q.run('INSERT INTO lambda_function_code_signing (region, name, config_arn) VALUES (?, ?, ?) ON CONFLICT (region, name) DO UPDATE SET config_arn = excluded.config_arn', [region, name, arn]);
    });
  }

  async detach(region: string, name: string): Promise<void> {
    await this.store.run('DELETE FROM lambda_function_code_signing WHERE region = ? AND name = ?', [region, name]);
  }

  /**
   * The deploy-time check of a code package for a function: with no configuration (`configArn`, or the one attached)
   * nothing is checked. A failed integrity check is InvalidCodeSignatureException under either policy; an unsigned
   * package, an expired or revoked signature, or a profile version not in AllowedPublishers is
   * CodeVerificationFailedException under `Enforce` and a warning under `Warn`. Returns what the package's
   * configuration records of an intact signature.
   */
  async check(region: string, functionName: string, zip: Buffer, configArn?: string): Promise<SigningFacts | undefined> {
    const arn = configArn ?? (await this.attached(region, functionName));
    if (!arn) return undefined;
    const csc = await this.requireForFunction(region, arn);
    return this.judge(region, functionName, 'code package', csc, zip);
  }

  /**
   * The same checks for layers a function with a configuration adds (CreateFunction, UpdateFunctionConfiguration):
   * each must be signed by an allowed publisher. `layers` are the zips of the layer versions, by ARN.
   */
  async checkLayers(region: string, functionName: string, layers: { arn: string; zip: () => Promise<Buffer> }[], configArn?: string): Promise<void> {
    if (layers.length === 0) return;
    const arn = configArn ?? (await this.attached(region, functionName));
    if (!arn) return;
    const csc = await this.requireForFunction(region, arn);
    for (const l of layers) await this.judge(region, functionName, `layer ${l.arn}`, csc, await l.zip());
  }

  /** What a package records of its signature when it is intact (PublishLayerVersion's Content shows it). */
  async signatureFacts(zip: Buffer): Promise<SigningFacts | undefined> {
    const v = this.signer ? await this.signer.inspect(zip) : undefined;
    return v?.signed && v.known && v.intact ? { SigningProfileVersionArn: v.profileVersionArn, SigningJobArn: v.jobArn } : undefined;
  }

  private async judge(region: string, functionName: string, what: string, csc: CodeSigningConfig, zip: Buffer): Promise<SigningFacts | undefined> {
    const arn = csc.CodeSigningConfigArn;
    const verdict = this.signer ? await this.signer.inspect(zip) : ({ signed: false } as const);
    if (verdict.signed && verdict.known && !verdict.intact) throw invalidCodeSignature(functionName);
    const allowed = csc.AllowedPublishers.SigningProfileVersionArns;
    const problem = !verdict.signed
      ? `the ${what} is not signed`
      : !allowed.includes(verdict.profileVersionArn)
        ? `the signing profile version ${verdict.profileVersionArn} is not an allowed publisher of ${arn}`
        : !verdict.known
          ? `the signing profile version ${verdict.profileVersionArn} is unknown`
          : verdict.revoked
            ? `the signature of the ${what} is revoked`
            : verdict.expired
              ? `the signature of the ${what} has expired`
              : undefined;
    if (problem) {
      if (csc.CodeSigningPolicies.UntrustedArtifactOnDeployment === 'Enforce') throw codeVerificationFailed(functionName);
      this.warn(`selfless: code signing (Warn) for function ${functionName} in ${region}: ${problem}; deployed anyway as ${arn} allows`);
    }
    return verdict.signed && verdict.known && verdict.intact ? { SigningProfileVersionArn: verdict.profileVersionArn, SigningJobArn: verdict.jobArn } : undefined;
  }
}
