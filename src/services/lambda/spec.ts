// Turns a stored function version into the engine's FunctionSpec (cached per code + configuration identity).
import type { FunctionSpec } from '../../engine/types.js';
import type { BlobStore } from '../../store/store.js';
import { functionArn } from './arn.js';
import { codeDir } from './code.js';
import type { ResolvedVersion } from './functions.js';
import type { ImagePackages } from './images.js';
import type { StoredConfig } from './model.js';

export const specPrefix = (region: string, name: string): string => `${region}/${name}/`;

export class SpecCache {
  private readonly specs = new Map<string, FunctionSpec>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly accountId: string,
    private readonly reservedFor: (region: string, name: string) => number | undefined,
    /** The merged layers directory for a function's layer list. */
    private readonly optDirFor?: (arns: readonly string[]) => Promise<string>,
    /** Container images: their unpacked root and what runs in it. */
    private readonly images?: ImagePackages,
    /** Decrypts a revision's sealed environment variables at an environment start (throws Lambda's KMS errors). */
    private readonly checkEnvironment?: (region: string, c: StoredConfig) => Promise<void>,
  ) {}

  /** Drops cached specs of a function (after it changed). */
  forget(region: string, name: string): void {
    const prefix = specPrefix(region, name);
    for (const k of this.specs.keys()) if (k.startsWith(prefix)) this.specs.delete(k);
  }

  async get(region: string, v: ResolvedVersion): Promise<FunctionSpec> {
    const c = v.config;
    const key = `${specPrefix(region, v.fn.name)}${v.version}/${c.RevisionId}`;
    const cached = this.specs.get(key);
    if (cached) return cached;
    const image = c.image && this.images ? await this.images.spec(region, c.image, c.ImageConfigResponse?.ImageConfig) : undefined;
    const spec: FunctionSpec = {
      key,
      region,
      accountId: this.accountId,
      functionName: c.FunctionName,
      functionArn: functionArn(region, this.accountId, c.FunctionName),
      ...(c.Role ? { role: c.Role } : {}),
      version: v.version,
      runtime: c.Runtime ?? 'provided.al2023',
      architecture: c.Architectures[0] ?? 'x86_64',
      handler: c.Handler ?? '',
      memorySize: c.MemorySize,
      timeout: c.Timeout,
      ephemeralStorage: c.EphemeralStorage.Size,
      environment: c.Environment?.Variables ?? {},
      codeDir: image ? image.rootfs : await codeDir(this.blobs, c.codeShaHex),
      ...(image ? { image } : {}),
      ...(c.Layers.length > 0 && this.optDirFor ? { optDir: await this.optDirFor(c.Layers.map((l) => l.Arn)) } : {}),
      logGroup: c.LoggingConfig.LogGroup,
      logFormat: c.LoggingConfig.LogFormat,
      applicationLogLevel: c.LoggingConfig.ApplicationLogLevel,
      systemLogLevel: c.LoggingConfig.SystemLogLevel,
      concurrencyKey: `${region}/${v.fn.name}`,
      reservedConcurrency: this.reservedFor(region, v.fn.name),
      ...(this.checkEnvironment ? { prepare: () => this.checkEnvironment!(region, c) } : {}),
    };
    this.specs.set(key, spec);
    return spec;
  }
}
