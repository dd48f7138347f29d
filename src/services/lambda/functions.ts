// The function registry: create, read, update, delete and tag functions, durably, with an in-memory read cache.
import { announce, onPeers } from './peers.js';
import type { Clock } from '../../lib/clock.js';
import { AwsError, notFound } from '../../lib/errors.js';
import { lambdaTimestamp, uuid } from '../../lib/ids.js';
import type { Notifier } from '../../store/notifier.js';
import type { Queryable, Store } from '../../store/store.js';
import { functionArn, type FunctionRef } from './arn.js';
import { decodeZipField, storeZip, type CodePackage } from './code.js';
import { LATEST, type FunctionRecord, type StoredAlias, type StoredConfig } from './model.js';
import { syncRecord } from './functions-sync.js';
import type { EnvCrypto } from './env-crypto.js';
import { functionNotFound, latestNotDeletable, notReachable } from './errors.js';
import { checkImageConfig, imageConfigResponse, type ImagePackages, type StoredImage } from './images.js';
import { checkConfig, type CreateFunctionInput, type UpdateCodeInput, type UpdateConfigurationInput } from './validate.js';
import type { SigningFacts } from './code-signing.js';
import { codeSigningOnImage } from './errors.js';
import { checkDurableConfig, type DurableConfig } from './durable/index.js';

/** The DurableConfig member of a stored configuration (durable/config.ts checks it). */
const durableConfigOf = (input: DurableConfig | undefined, current: DurableConfig | undefined, creating: boolean): { DurableConfig?: DurableConfig } => {
  const c = checkDurableConfig(input, current, creating);
  return c ? { DurableConfig: c } : {};
};

export const LAMBDA_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_functions (region TEXT NOT NULL, name TEXT NOT NULL, next_version INTEGER NOT NULL, tags TEXT NOT NULL,
           created_at INTEGER NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE lambda_versions (region TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, config TEXT NOT NULL,
           PRIMARY KEY (region, name, version));`,
  },
  {
    version: 2,
    up: `CREATE TABLE lambda_aliases (region TEXT NOT NULL, name TEXT NOT NULL, alias TEXT NOT NULL, config TEXT NOT NULL,
           PRIMARY KEY (region, name, alias));
         ALTER TABLE lambda_functions ADD COLUMN reserved INTEGER;`,
  },
];

const key = (region: string, name: string): string => `${region}\u0000${name}`;

/** The channel every node listens on for changes of a function (payload: the function key); see reload(). */
export const CONFIG_CHANNEL = 'lambda:config';

/** What changed: one version or the whole function; `retire`: its environments run stale code or configuration. */
export interface ChangeScope {
  version?: string;
  retire: boolean;
  /** The version (or, without `version`, the whole function) was deleted. */
  deleted?: boolean;
  /** An alias that was created, retargeted or (with `deleted`) removed. */
  alias?: { name: string; deleted: boolean };
}
export type ChangeListener = (region: string, name: string, scope: ChangeScope) => void;

export interface ResolvedVersion {
  fn: FunctionRecord;
  version: string;
  config: StoredConfig;
}

export class FunctionRegistry {
  private readonly fns = new Map<string, FunctionRecord>();
  /** Names being created right now, so that two concurrent creates of one name cannot both pass the check. */
  private readonly creating = new Set<string>();
  /** Listeners told about every change of a version's configuration (the engine retires stale environments). */
  private readonly listeners: ChangeListener[] = [];
  /** The publish in progress per function (publishes of one function run one after another). */
  private readonly publishing = new Map<string, Promise<ResolvedVersion>>();
  /** Aliases being created right now (function key + alias name). */
  private readonly creatingAliases = new Set<string>();

  /** Reloads in progress per function key, so that two notifications of one function apply in order. */
  private readonly reloading = new Map<string, Promise<void>>();
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly accountId: string,
    /** Tells the other nodes about every committed change (their caches reload the function from the store). */
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  /** Resolves and checks a function's layer ARNs (set by the layers part of the service). */
  layers: ((arns: readonly string[], functionUnzipped: number, current?: readonly string[]) => { Arn: string; CodeSize: number }[]) | undefined;

  /** Seals environment variables in stored rows and opens them on load (set by the service from KMS). */
  envCrypto: EnvCrypto | undefined;

  /** A configuration as its row stores it (variables sealed). */
  private rowText(region: string, c: StoredConfig): Promise<string> {
    return this.envCrypto ? this.envCrypto.seal(region, c) : Promise.resolve(JSON.stringify(c));
  }

  /** A stored row's configuration text with its variables opened. */
  private opened<T extends { config: string }>(region: string, rows: T[]): Promise<T[]> {
    const crypto = this.envCrypto;
    return crypto ? Promise.all(rows.map(async (r) => ({ ...r, config: await crypto.open(region, r.config) }))) : Promise.resolve(rows);
  }

  /** Refuses a role Lambda could not assume (enforce mode; set by the service from IAM). */
  checkRole: ((roleArn: string) => Promise<void>) | undefined;

  /**
   * The deploy-time code signing check of a zip for a function (set by the service from code-signing.ts): the
   * configuration named (CreateFunction) or attached; throws AWS's refusal; returns what to record of the signature.
   */
  checkCode: ((region: string, name: string, zip: Buffer, configArn?: string) => Promise<SigningFacts | undefined>) | undefined;
  /** The same check for layers being added to a function (each must be signed by an allowed publisher). */
  checkLayers: ((region: string, name: string, layerArns: readonly string[], configArn?: string) => Promise<void>) | undefined;

  /** Refuses a runtime or architecture this host cannot run (set by the service from the engine's platform). */
  checkPlatform: ((runtime: string | undefined, architectures: readonly string[] | undefined) => void) | undefined;

  onChange(fn: ChangeListener): void {
    this.listeners.push(fn);
  }

  async load(): Promise<void> {
    await this.store.migrate('lambda', LAMBDA_MIGRATIONS);
    const rows = await this.store.all<{ region: string; name: string; next_version: number; tags: string; reserved: number | null }>('SELECT * FROM lambda_functions');
    for (const r of rows) {
      this.fns.set(key(r.region, r.name), {
        region: r.region,
        name: r.name,
        nextVersion: r.next_version,
        tags: JSON.parse(r.tags),
        versions: new Map(),
        aliases: new Map(),
        ...(r.reserved !== null ? { reserved: r.reserved } : {}),
      });
    }
    const versions: { region: string; name: string; version: string; config: string }[] = [];
    for (const v of await this.store.all<{ region: string; name: string; version: string; config: string }>('SELECT * FROM lambda_versions')) versions.push(...(await this.opened(v.region, [v])));
    for (const v of versions) this.fns.get(key(v.region, v.name))?.versions.set(v.version, JSON.parse(v.config) as StoredConfig);
    const aliases = await this.store.all<{ region: string; name: string; alias: string; config: string }>('SELECT * FROM lambda_aliases');
    for (const a of aliases) this.fns.get(key(a.region, a.name))?.aliases.set(a.alias, JSON.parse(a.config) as StoredAlias);
    this.unlisten = onPeers(this.notifier, CONFIG_CHANNEL, (payload) => {
      const [region, name] = payload.split('\u0000');
      if (region !== undefined && name !== undefined) this.reload(region, name);
    });
  }

  close(): void {
    this.unlisten?.();
  }

  /** Announces a committed change of a function to every node (this one hears it too and finds nothing new). */
  private announce(region: string, name: string): void {
    announce(this.notifier, CONFIG_CHANNEL, key(region, name));
  }

  /** Re-reads one function from the store (another node changed it) and tells the listeners what differs. */
  reload(region: string, name: string): void {
    const k = key(region, name);
    const run = (this.reloading.get(k) ?? Promise.resolve())
      .then(() => this.reloadNow(region, name))
      .catch((e: unknown) => this.onError(e));
    this.reloading.set(k, run);
    void run.finally(() => {
      if (this.reloading.get(k) === run) this.reloading.delete(k);
    });
  }

  /**
   * A function this node has not cached may have been created on another node a moment ago (the notification is
   * still on its way): read it from the store before answering that it does not exist. A cached one costs nothing.
   */
  async ensure(region: string, name: string): Promise<void> {
    if (!this.notifier || this.fns.has(key(region, name))) return;
    this.reload(region, name);
    await this.reloading.get(key(region, name));
  }

  private async reloadNow(region: string, name: string): Promise<void> {
    const k = key(region, name);
    const row = await this.store.get<{ next_version: number; tags: string; reserved: number | null }>(
      'SELECT next_version, tags, reserved FROM lambda_functions WHERE region = ? AND name = ?',
      [region, name],
    );
    const cur = this.fns.get(k);
    if (!row) {
      if (cur && !this.creating.has(k)) {
        this.fns.delete(k);
        this.changed(cur, { retire: true, deleted: true });
      }
      return;
    }
    const versions = await this.opened(region, await this.store.all<{ version: string; config: string }>('SELECT version, config FROM lambda_versions WHERE region = ? AND name = ?', [region, name]));
    const aliases = await this.store.all<{ alias: string; config: string }>('SELECT alias, config FROM lambda_aliases WHERE region = ? AND name = ?', [region, name]);
    // The record is updated in place: callers hold references to it.
    const fn: FunctionRecord = cur ?? { region, name, nextVersion: row.next_version, tags: {}, versions: new Map(), aliases: new Map() };
    if (!cur) this.fns.set(k, fn);
    const scopes: ChangeScope[] = [...(cur ? [] : [{ retire: false }]), ...syncRecord(fn, row, versions, aliases)];
    for (const scope of scopes) this.changed(fn, scope);
  }

  count(region: string): number {
    let n = 0;
    for (const f of this.fns.values()) if (f.region === region) n++;
    return n;
  }

  /** Container images (resolved and unpacked through the registry); set by the service module. */
  images: ImagePackages | undefined;

  /** Storage used by layer archives in a region (AWS counts them in the account's TotalCodeSize); set by the layers part. */
  layersCodeSize: ((region: string) => number) | undefined;

  totalCodeSize(region: string): number {
    let n = this.layersCodeSize?.(region) ?? 0;
    for (const f of this.fns.values()) if (f.region === region) for (const v of f.versions.values()) n += v.CodeSize;
    return n;
  }

  hasCode(shaHex: string): Promise<boolean> {
    return this.store.blobs.has(shaHex);
  }

  codeBlobPath(shaHex: string): Promise<string> {
    return this.store.blobs.localPath(shaHex);
  }

  arn(region: string, name: string, qualifier?: string): string {
    return functionArn(region, this.accountId, name, qualifier);
  }

  /** The function of this name in a region, if there is one. */
  find(region: string, name: string): FunctionRecord | undefined {
    return this.fns.get(key(region, name));
  }

  /** The function named by a ref in this region, or AWS's not-found error. */
  requireFunction(region: string, ref: FunctionRef, qualifier?: string): FunctionRecord {
    if (ref.region && ref.region !== region) throw notReachable(ref.region, region);
    const fn = ref.accountId && ref.accountId !== this.accountId ? undefined : this.fns.get(key(region, ref.name));
    if (!fn) throw functionNotFound(this.arn(region, ref.name, qualifier));
    return fn;
  }

  /** Resolves a qualifier: `$LATEST`, a version number, or an alias (to its primary version; invokes pick by weight). */
  requireVersion(region: string, ref: FunctionRef, qualifier: string | undefined): ResolvedVersion {
    const fn = this.requireFunction(region, ref, qualifier);
    const version = qualifier === undefined ? LATEST : (fn.aliases.get(qualifier)?.FunctionVersion ?? qualifier);
    const config = fn.versions.get(version);
    if (!config) throw notFound(`Function not found: ${this.arn(fn.region, fn.name, version)}`);
    return { fn, version, config };
  }

  list(region: string): FunctionRecord[] {
    return [...this.fns.values()].filter((f) => f.region === region).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async create(region: string, input: CreateFunctionInput): Promise<ResolvedVersion> {
    if (input.PackageType === 'Image') return this.createImage(region, input);
    if (input.Code.ImageUri !== undefined) throw new AwsError('InvalidParameterValueException', 'Please provide ImageUri only when the intended function PackageType is Image.');
    if (!input.Runtime || !input.Handler) {
      throw new AwsError('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
    if (!input.Role) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
    checkConfig(input);
    this.checkPlatform?.(input.Runtime, input.Architectures);
    await this.checkRole?.(input.Role);
    return this.createChecked(region, { ...input, Runtime: input.Runtime, Handler: input.Handler, Role: input.Role });
  }

  /** CreateFunction with PackageType Image: no Runtime, Handler or Layers; the ImageUri resolved to its digest. */
  private async createImage(region: string, input: CreateFunctionInput): Promise<ResolvedVersion> {
    if (input.Runtime !== undefined || input.Handler !== undefined || (input.Layers?.length ?? 0) > 0) {
      throw new AwsError('InvalidParameterValueException', "Please don't provide Handler or Runtime or Layer when the intended function PackageType is Image.");
    }
    if (!input.Code.ImageUri) throw new AwsError('InvalidParameterValueException', 'Please provide ImageUri when the intended function PackageType is Image.');
    if (input.CodeSigningConfigArn) throw codeSigningOnImage();
    if (input.Code.ZipFile !== undefined || input.Code.S3Bucket !== undefined) throw new AwsError('InvalidParameterValueException', 'Please do not provide ZipFile or S3 code when the intended function PackageType is Image.');
    if (!input.Role) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
    const imageConfig = checkImageConfig(input.ImageConfig);
    checkConfig(input);
    await this.checkRole?.(input.Role);
    return this.createChecked(region, { ...input, Role: input.Role }, imageConfig);
  }

  private async createChecked(region: string, input: CreateFunctionInput & { Role: string }, imageConfig?: ReturnType<typeof checkImageConfig>): Promise<ResolvedVersion> {
    const k = key(region, input.FunctionName);
    if (this.fns.has(k) || this.creating.has(k)) {
      throw new AwsError('ResourceConflictException', `Function already exist: ${input.FunctionName}`);
    }
    this.creating.add(k);
    try {
      if (input.PackageType === 'Image') {
        const { pkg, image } = await this.imagePackage(region, input.Code.ImageUri ?? '');
        return await this.insert(region, input, pkg, { image, ImageConfigResponse: imageConfigResponse(imageConfig) });
      }
      const pkg = await this.packageFrom(input.Code, region, input.FunctionName, input.CodeSigningConfigArn);
      await this.checkLayers?.(region, input.FunctionName, input.Layers ?? [], input.CodeSigningConfigArn);
      return await this.insert(region, input, pkg);
    } finally {
      this.creating.delete(k);
    }
  }

  private async insert(region: string, input: CreateFunctionInput & { Role: string }, pkg: CodePackage & { signing?: SigningFacts }, img?: { image: StoredImage; ImageConfigResponse?: StoredConfig['ImageConfigResponse'] }): Promise<ResolvedVersion> {
    const now = this.clock.now();
    const config: StoredConfig = {
      FunctionName: input.FunctionName,
      ...(input.Runtime !== undefined ? { Runtime: input.Runtime } : {}),
      Role: input.Role,
      ...(input.Handler !== undefined ? { Handler: input.Handler } : {}),
      Description: input.Description ?? '',
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
      ...(input.Environment ? { Environment: { Variables: input.Environment.Variables ?? {} } } : {}),
      ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: { TargetArn: input.DeadLetterConfig.TargetArn } } : {}),
      ...(input.KMSKeyArn ? { KMSKeyArn: input.KMSKeyArn } : {}),
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? 'PassThrough' },
      ...(input.VpcConfig ? { VpcConfig: vpc(input.VpcConfig) } : {}),
      Layers: this.resolveLayers(input.Layers ?? [], pkg.unzippedSize),
      Architectures: input.Architectures ?? ['x86_64'],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      LoggingConfig: {
        LogFormat: input.LoggingConfig?.LogFormat ?? 'Text',
        ...(input.LoggingConfig?.LogFormat === 'JSON'
          ? { ApplicationLogLevel: input.LoggingConfig.ApplicationLogLevel ?? 'INFO', SystemLogLevel: input.LoggingConfig.SystemLogLevel ?? 'INFO' }
          : {}),
        LogGroup: input.LoggingConfig?.LogGroup ?? `/aws/lambda/${input.FunctionName}`,
      },
      SnapStart: { ApplyOn: input.SnapStart?.ApplyOn ?? 'None', OptimizationStatus: 'Off' },
      ...durableConfigOf(input.DurableConfig, undefined, true),
      PackageType: img ? 'Image' : 'Zip',
      ...(img?.ImageConfigResponse ? { ImageConfigResponse: img.ImageConfigResponse } : {}),
      ...(img ? { image: img.image } : {}),
      LastModified: lambdaTimestamp(now),
      RevisionId: uuid(),
      CodeSha256: pkg.sha256,
      CodeSize: pkg.size,
      codeShaHex: pkg.shaHex,
      unzippedSize: pkg.unzippedSize,
      ...(pkg.signing ?? {}),
    };
    const fn: FunctionRecord = {
      region,
      name: input.FunctionName,
      nextVersion: 1,
      tags: input.Tags ?? {},
      versions: new Map([[LATEST, config]]),
      aliases: new Map(),
    };
    const row = await this.rowText(region, config);
    await this.store.tx(async (q) => {
      await q.run('INSERT INTO lambda_functions (region, name, next_version, tags, created_at) VALUES (?, ?, ?, ?, ?)', [
        region, fn.name, fn.nextVersion, JSON.stringify(fn.tags), now,
      ]);
      await q.run('INSERT INTO lambda_versions (region, name, version, config) VALUES (?, ?, ?, ?)', [region, fn.name, LATEST, row]);
    });
    this.fns.set(key(region, fn.name), fn);
    this.announce(region, fn.name);
    return { fn, version: LATEST, config };
  }

  async updateConfiguration(region: string, ref: FunctionRef, input: UpdateConfigurationInput): Promise<ResolvedVersion> {
    const cur = this.requireVersion(region, ref, LATEST);
    checkRevision(cur.config, input.RevisionId);
    checkConfig({ ...input, Runtime: input.Runtime });
    if (input.Runtime !== undefined) this.checkPlatform?.(input.Runtime, undefined);
    if (input.Role !== undefined) await this.checkRole?.(input.Role);
    const c = cur.config;
    if (input.Layers !== undefined) await this.checkLayers?.(region, cur.fn.name, input.Layers.filter((a) => !c.Layers.some((l) => l.Arn === a)));
    const next: StoredConfig = {
      ...c,
      ...(input.Role !== undefined ? { Role: input.Role } : {}),
      ...(input.Handler !== undefined ? { Handler: input.Handler } : {}),
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      ...(input.Timeout !== undefined ? { Timeout: input.Timeout } : {}),
      ...(input.MemorySize !== undefined ? { MemorySize: input.MemorySize } : {}),
      ...(input.Runtime !== undefined ? { Runtime: input.Runtime } : {}),
      ...(input.Environment !== undefined ? { Environment: { Variables: input.Environment.Variables ?? {} } } : {}),
      ...(input.DeadLetterConfig !== undefined ? { DeadLetterConfig: input.DeadLetterConfig.TargetArn ? { TargetArn: input.DeadLetterConfig.TargetArn } : {} } : {}),
      ...(input.KMSKeyArn !== undefined ? { KMSKeyArn: input.KMSKeyArn } : {}),
      ...(input.TracingConfig?.Mode ? { TracingConfig: { Mode: input.TracingConfig.Mode } } : {}),
      ...(input.VpcConfig !== undefined ? { VpcConfig: vpc(input.VpcConfig) } : {}),
      ...(input.Layers !== undefined ? { Layers: this.resolveLayers(input.Layers, c.unzippedSize ?? 0, c.Layers) } : {}),
      ...(input.EphemeralStorage !== undefined ? { EphemeralStorage: { Size: input.EphemeralStorage.Size } } : {}),
      ...(input.LoggingConfig !== undefined ? { LoggingConfig: mergedLogging(c.LoggingConfig, input.LoggingConfig) } : {}),
      ...(input.SnapStart?.ApplyOn ? { SnapStart: { ApplyOn: input.SnapStart.ApplyOn, OptimizationStatus: 'Off' } } : {}),
      ...durableConfigOf(input.DurableConfig, c.DurableConfig, false),
    };
    if (input.ImageConfig !== undefined) {
      if (c.PackageType !== 'Image') throw new AwsError('InvalidParameterValueException', 'ImageConfig is only supported for functions with PackageType Image.');
      const ic = imageConfigResponse(checkImageConfig(input.ImageConfig));
      if (ic) next.ImageConfigResponse = ic;
      else delete next.ImageConfigResponse;
    }
    if (!next.Handler && next.PackageType === 'Zip') {
      throw new AwsError('InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
    }
    return this.saveLatest(cur.fn, next);
  }

  async updateCode(region: string, ref: FunctionRef, input: UpdateCodeInput): Promise<ResolvedVersion> {
    const cur = this.requireVersion(region, ref, LATEST);
    checkRevision(cur.config, input.RevisionId);
    if (input.Architectures) checkConfig({ Architectures: input.Architectures });
    if (input.Architectures) this.checkPlatform?.(undefined, input.Architectures);
    const isImage = cur.config.PackageType === 'Image';
    if (isImage && !input.ImageUri) throw new AwsError('InvalidParameterValueException', 'Please provide ImageUri when updating a function with packageType Image.');
    if (!isImage && input.ImageUri !== undefined) throw new AwsError('InvalidParameterValueException', 'Please don\'t provide ImageUri when updating a function with packageType Zip.');
    const img = isImage ? await this.imagePackage(region, input.ImageUri ?? '') : undefined;
    const pkg: CodePackage & { signing?: SigningFacts } = img?.pkg ?? (await this.packageFrom(input, region, cur.fn.name));
    const { SigningProfileVersionArn: _p, SigningJobArn: _j, ...unsigned } = cur.config;
    const next: StoredConfig = {
      ...unsigned,
      ...(pkg.signing ?? {}),
      ...(img ? { image: img.image } : {}),
      CodeSha256: pkg.sha256,
      CodeSize: pkg.size,
      codeShaHex: pkg.shaHex,
      unzippedSize: pkg.unzippedSize,
      Layers: this.resolveLayers(cur.config.Layers.map((l) => l.Arn), pkg.unzippedSize, cur.config.Layers),
      ...(input.Architectures ? { Architectures: input.Architectures } : {}),
    };
    if (input.DryRun) return { ...cur, config: { ...next, RevisionId: cur.config.RevisionId } };
    return this.saveLatest(cur.fn, next);
  }

  private async saveLatest(fn: FunctionRecord, config: StoredConfig): Promise<ResolvedVersion> {
    const next = { ...config, LastModified: lambdaTimestamp(this.clock.now()), RevisionId: uuid() };
    await this.store.run('UPDATE lambda_versions SET config = ? WHERE region = ? AND name = ? AND version = ?', [await this.rowText(fn.region, next), fn.region, fn.name, LATEST]);
    fn.versions.set(LATEST, next);
    this.changed(fn, { version: LATEST, retire: true });
    this.announce(fn.region, fn.name);
    return { fn, version: LATEST, config: next };
  }

  /**
   * PublishVersion: snapshots $LATEST into the next number (never reused). When neither code nor configuration changed
   * since the last published version, that version is returned instead, as AWS does.
   */
  async publish(region: string, ref: FunctionRef, opts: { CodeSha256?: string; RevisionId?: string; Description?: string }): Promise<ResolvedVersion> {
    // One publish per function at a time: each must see the versions the previous one wrote (numbers, no-change check).
    const k = key(ref.region ?? region, ref.name);
    const run = (this.publishing.get(k) ?? Promise.resolve()).catch(() => undefined).then(() => this.publishNow(region, ref, opts));
    this.publishing.set(k, run);
    try {
      return await run;
    } finally {
      if (this.publishing.get(k) === run) this.publishing.delete(k);
    }
  }

  private async publishNow(region: string, ref: FunctionRef, opts: { CodeSha256?: string; RevisionId?: string; Description?: string }): Promise<ResolvedVersion> {
    const cur = this.requireVersion(region, ref, LATEST);
    checkRevision(cur.config, opts.RevisionId);
    if (opts.CodeSha256 !== undefined && opts.CodeSha256 !== cur.config.CodeSha256) {
      throw new AwsError(
        'InvalidParameterValueException',
        `CodeSHA256 (${opts.CodeSha256}) is different from current CodeSHA256 in $LATEST (${cur.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    }
    const fn = cur.fn;
    const last = latestPublished(fn);
    if (last && sameContent(last.config, cur.config)) return { fn, version: last.version, config: last.config };
    const version = String(fn.nextVersion);
    const config: StoredConfig = {
      ...cur.config,
      Description: opts.Description ?? cur.config.Description,
      latestDescription: cur.config.Description,
      RevisionId: uuid(),
      LastModified: lambdaTimestamp(this.clock.now()),
    };
    // Publishing gives $LATEST a new revision too, as AWS does (a RevisionId read before the publish no longer holds).
    // Only the $LATEST this version was taken from: an update that got in meanwhile (here or on another node) gave it
    // a revision of its own, and its row must not be overwritten with the older configuration.
    const latest: StoredConfig = { ...cur.config, RevisionId: uuid() };
    const row = await this.rowText(fn.region, config);
    const latestRow = await this.rowText(fn.region, latest);
    let bumped = false;
    await this.store.tx(async (q) => {
      await q.run('INSERT INTO lambda_versions (region, name, version, config) VALUES (?, ?, ?, ?)', [fn.region, fn.name, version, row]);
      const stored = await q.get<{ config: string }>('SELECT config FROM lambda_versions WHERE region = ? AND name = ? AND version = ?', [fn.region, fn.name, LATEST]);
      if (stored && (JSON.parse(stored.config) as { RevisionId?: string }).RevisionId === cur.config.RevisionId) {
        const r = await q.run('UPDATE lambda_versions SET config = ? WHERE region = ? AND name = ? AND version = ? AND config = ?', [latestRow, fn.region, fn.name, LATEST, stored.config]);
        bumped = r.changes > 0;
      }
      await q.run('UPDATE lambda_functions SET next_version = ? WHERE region = ? AND name = ?', [fn.nextVersion + 1, fn.region, fn.name]);
    });
    fn.nextVersion++;
    fn.versions.set(version, config);
    if (bumped && fn.versions.get(LATEST) === cur.config) fn.versions.set(LATEST, latest);
    this.announce(fn.region, fn.name);
    return { fn, version, config };
  }

  /** Published versions and $LATEST in AWS's order ($LATEST first, then by number). */
  versionsOf(fn: FunctionRecord): [string, StoredConfig][] {
    return [...fn.versions.entries()].sort(([a], [b]) => (a === LATEST ? -1 : b === LATEST ? 1 : Number(a) - Number(b)));
  }

  /** CreateAlias: the name is taken at once, so that of two concurrent creates of one alias, one gets AWS's conflict. */
  async createAlias(fn: FunctionRecord, alias: StoredAlias): Promise<void> {
    const k = `${key(fn.region, fn.name)}\u0000${alias.Name}`;
    if (fn.aliases.has(alias.Name) || this.creatingAliases.has(k)) {
      throw new AwsError('ResourceConflictException', `Alias already exists: ${this.arn(fn.region, fn.name, alias.Name)}`);
    }
    this.creatingAliases.add(k);
    try {
      await this.saveAlias(fn, alias);
    } finally {
      this.creatingAliases.delete(k);
    }
  }

  async saveAlias(fn: FunctionRecord, alias: StoredAlias): Promise<void> {
    await this.store.run('INSERT INTO lambda_aliases (region, name, alias, config) VALUES (?, ?, ?, ?) ON CONFLICT (region, name, alias) DO UPDATE SET config = excluded.config', [
      fn.region, fn.name, alias.Name, JSON.stringify(alias),
    ]);
    fn.aliases.set(alias.Name, alias);
    this.changed(fn, { retire: false, alias: { name: alias.Name, deleted: false } });
    this.announce(fn.region, fn.name);
  }

  async deleteAlias(fn: FunctionRecord, name: string): Promise<void> {
    await this.store.run('DELETE FROM lambda_aliases WHERE region = ? AND name = ? AND alias = ?', [fn.region, fn.name, name]);
    fn.aliases.delete(name);
    this.changed(fn, { retire: false, alias: { name, deleted: true } });
    this.announce(fn.region, fn.name);
  }

  /**
   * Gives a version (`$LATEST`, a number) or an alias a new RevisionId in one transaction with `write` (a policy
   * change: AWS changes the revision of what the policy hangs on). The row is updated first, so that concurrent
   * changes of one target (on any node) run one after another; a throw from `write` rolls both back.
   */
  async newRevision<T>(fn: FunctionRecord, qualifier: string, write: (q: Queryable, revisionId: string) => Promise<T>): Promise<{ revisionId: string; result: T }> {
    const revisionId = uuid();
    const alias = fn.aliases.get(qualifier);
    const config = alias ? undefined : fn.versions.get(qualifier);
    if (!alias && !config) throw notFound(`Function not found: ${this.arn(fn.region, fn.name, qualifier)}`);
    const row = config ? await this.rowText(fn.region, { ...config, RevisionId: revisionId }) : '';
    const result = await this.store.tx(async (q) => {
      if (alias) {
        await q.run('UPDATE lambda_aliases SET config = ? WHERE region = ? AND name = ? AND alias = ?', [JSON.stringify({ ...alias, RevisionId: revisionId }), fn.region, fn.name, qualifier]);
      } else {
        await q.run('UPDATE lambda_versions SET config = ? WHERE region = ? AND name = ? AND version = ?', [row, fn.region, fn.name, qualifier]);
      }
      return write(q, revisionId);
    });
    if (alias) fn.aliases.set(qualifier, { ...(fn.aliases.get(qualifier) ?? alias), RevisionId: revisionId });
    else fn.versions.set(qualifier, { ...(fn.versions.get(qualifier) ?? config!), RevisionId: revisionId });
    this.announce(fn.region, fn.name);
    return { revisionId, result };
  }

  async setReserved(fn: FunctionRecord, reserved: number | undefined): Promise<void> {
    await this.store.run('UPDATE lambda_functions SET reserved = ? WHERE region = ? AND name = ?', [reserved ?? null, fn.region, fn.name]);
    if (reserved === undefined) delete fn.reserved;
    else fn.reserved = reserved;
    this.changed(fn, { retire: false });
    this.announce(fn.region, fn.name);
  }

  /** Sum of reserved concurrency over all functions (the account pool is what is left). */
  reservedTotal(): number {
    let n = 0;
    for (const f of this.fns.values()) n += f.reserved ?? 0;
    return n;
  }

  async delete(region: string, ref: FunctionRef, qualifier: string | undefined): Promise<void> {
    // AWS refuses $LATEST before it looks for the function, and deleting a version that is not there is a no-op.
    if (qualifier === LATEST) throw latestNotDeletable();
    const fn = this.requireFunction(region, ref);
    if (qualifier !== undefined) {
      if (!fn.versions.has(qualifier)) return;
      const users = [...fn.aliases.values()].filter((a) => a.FunctionVersion === qualifier || a.RoutingConfig?.AdditionalVersionWeights?.[qualifier] !== undefined);
      if (users.length > 0) {
        throw new AwsError('ResourceConflictException', `Unable to delete version because the following aliases reference it: [${users.map((a) => a.Name).join(', ')}]`);
      }
      await this.store.run('DELETE FROM lambda_versions WHERE region = ? AND name = ? AND version = ?', [fn.region, fn.name, qualifier]);
      fn.versions.delete(qualifier);
      this.changed(fn, { version: qualifier, retire: true, deleted: true });
      this.announce(fn.region, fn.name);
      return;
    } else {
      await this.store.tx(async (q) => {
        await q.run('DELETE FROM lambda_versions WHERE region = ? AND name = ?', [fn.region, fn.name]);
        await q.run('DELETE FROM lambda_aliases WHERE region = ? AND name = ?', [fn.region, fn.name]);
        await q.run('DELETE FROM lambda_functions WHERE region = ? AND name = ?', [fn.region, fn.name]);
      });
      this.fns.delete(key(fn.region, fn.name));
    }
    this.changed(fn, { retire: true, deleted: true });
    this.announce(fn.region, fn.name);
  }

  /** TagResource/UntagResource: the tags, and a new revision of $LATEST with them (AWS changes it on each). */
  async setTags(fn: FunctionRecord, tags: Record<string, string>): Promise<void> {
    await this.newRevision(fn, LATEST, (q) => q.run('UPDATE lambda_functions SET tags = ? WHERE region = ? AND name = ?', [JSON.stringify(tags), fn.region, fn.name]));
    fn.tags = tags;
  }

  private resolveLayers(arns: readonly string[], functionUnzipped: number, current: readonly { Arn: string }[] = []): { Arn: string; CodeSize: number }[] {
    if (arns.length === 0) return [];
    if (!this.layers) throw new AwsError('InvalidParameterValueException', 'Layers are not available in this build of selfless.');
    return this.layers(arns, functionUnzipped, current.map((l) => l.Arn));
  }

  private changed(fn: FunctionRecord, scope: ChangeScope): void {
    for (const l of this.listeners) l(fn.region, fn.name, scope);
  }

  private async imagePackage(region: string, uri: string): Promise<{ pkg: CodePackage; image: StoredImage }> {
    if (!this.images) throw new AwsError('InvalidParameterValueException', 'Container images are not available in this build of selfless.');
    return this.images.resolve(region, uri);
  }

  private async packageFrom(code: { ZipFile?: string; S3Bucket?: string; ImageUri?: string }, region: string, name: string, configArn?: string): Promise<CodePackage & { signing?: SigningFacts }> {
    if (code.ZipFile === undefined) {
      if (code.S3Bucket !== undefined || code.ImageUri !== undefined) {
        throw new AwsError('InvalidParameterValueException', 'selfless accepts code as Code.ZipFile only (no S3 or container images).');
      }
      throw new AwsError('InvalidParameterValueException', 'Please provide a source for function code.');
    }
    const zip = decodeZipField(code.ZipFile);
    const signing = await this.checkCode?.(region, name, zip, configArn);
    const pkg = await storeZip(this.store.blobs, zip);
    return signing ? { ...pkg, signing } : pkg;
  }
}

function latestPublished(fn: FunctionRecord): { version: string; config: StoredConfig } | undefined {
  let best: { version: string; config: StoredConfig } | undefined;
  for (const [version, config] of fn.versions) {
    if (version !== LATEST && (!best || Number(version) > Number(best.version))) best = { version, config };
  }
  return best;
}

/**
 * $LATEST (`b`) unchanged since version `a` was published from it (what PublishVersion compares): the same code and
 * configuration, timestamps and revisions aside; the description compared with the one $LATEST had then (the
 * version's own may be PublishVersion's).
 */
function sameContent(a: StoredConfig, b: StoredConfig): boolean {
  const strip = ({ LastModified: _l, RevisionId: _r, Description: _d, latestDescription: _p, ...rest }: StoredConfig) => canonical(rest);
  return strip(a) === strip(b) && (a.latestDescription ?? b.Description) === b.Description;
}

/** JSON with object keys sorted at every level, so equal values compare equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function checkRevision(c: { RevisionId: string }, revisionId: string | undefined): void {
  if (revisionId !== undefined && revisionId !== c.RevisionId) {
    throw new AwsError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
  }
}

/**
 * UpdateFunctionConfiguration's LoggingConfig over the current one, as AWS merges it: members not given are kept; JSON
 * logs have both levels (INFO unless set), Text logs neither.
 */
function mergedLogging(cur: StoredConfig['LoggingConfig'], given: NonNullable<UpdateConfigurationInput['LoggingConfig']>): StoredConfig['LoggingConfig'] {
  const m = { ...cur, ...given } as StoredConfig['LoggingConfig'];
  if (m.LogFormat === 'JSON') return { ...m, ApplicationLogLevel: m.ApplicationLogLevel ?? 'INFO', SystemLogLevel: m.SystemLogLevel ?? 'INFO' };
  const { ApplicationLogLevel: _a, SystemLogLevel: _s, ...text } = m;
  return text;
}

function vpc(v: NonNullable<CreateFunctionInput['VpcConfig']>): NonNullable<StoredConfig['VpcConfig']> {
  return { SubnetIds: v.SubnetIds ?? [], SecurityGroupIds: v.SecurityGroupIds ?? [], VpcId: '', Ipv6AllowedForDualStack: v.Ipv6AllowedForDualStack ?? false };
}
