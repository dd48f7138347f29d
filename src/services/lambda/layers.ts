// Layers: versions of shared code (content-addressed like function code), their permissions, and the merged `/opt`
// directory of a function's ordered layer list (later layers override earlier files), built once per list.
import { announce, reloadOnPeers } from './peers.js';
import { createHash } from 'node:crypto';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import type { Clock } from '../../lib/clock.js';
import { AwsError, notFound } from '../../lib/errors.js';
import { hex, lambdaTimestamp } from '../../lib/ids.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { codeDir, MAX_UNZIPPED, renameIntoPlace, storeZip, type CodePackage } from './code.js';

const MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_layer_names (region TEXT NOT NULL, name TEXT NOT NULL, next_version INTEGER NOT NULL, PRIMARY KEY (region, name));
         CREATE TABLE lambda_layers (region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, config TEXT NOT NULL,
           policy TEXT NOT NULL, PRIMARY KEY (region, name, version));`,
  },
  {
    // Deleted layer versions: gone from the API, but functions that use them keep their content, as in AWS.
    version: 2,
    up: `CREATE TABLE lambda_layers_deleted (region TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, config TEXT NOT NULL,
           PRIMARY KEY (region, name, version));`,
  },
];

export const LAYER_NAME_PATTERN = '(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+';
const LAYER_VERSION_ARN = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/;

export interface LayerVersion {
  region: string;
  name: string;
  version: number;
  Description: string;
  CreatedDate: string;
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: string[];
  LicenseInfo?: string;
  CodeSha256: string;
  CodeSize: number;
  unzippedSize: number;
  codeShaHex: string;
  /** An archive whose signature passed the integrity check when it was published (code-signing.ts). */
  SigningProfileVersionArn?: string;
  SigningJobArn?: string;
  policy: Statement[];
  policyRevision: string;
}

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Principal: string;
  Action: string;
  Resource: string;
  Condition?: unknown;
}

const key = (region: string, name: string): string => `${region}\u0000${name}`;
const LAYERS_CHANNEL = 'lambda:layers';

export class LayerRegistry {
  private readonly versions = new Map<string, Map<number, LayerVersion>>();
  private readonly building = new Map<string, Promise<string>>();
  /** Deleted layer versions by ARN (functions that already use them keep running with them). */
  private readonly deleted = new Map<string, LayerVersion>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly accountId: string,
    /** Other nodes reload the layer tables when one of them publishes, deletes or changes a permission. */
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private unlisten: (() => void) | undefined;

  /** Who signed an archive, when its signature is intact (set by the service from code-signing.ts). */
  signatureOf: ((zip: Buffer) => Promise<{ SigningProfileVersionArn: string; SigningJobArn: string } | undefined>) | undefined;

  /** The archive of a layer version a function is adding (for its code signing check). */
  archive(arn: string): Promise<Buffer> {
    return this.store.blobs.read(this.byArn(arn).codeShaHex);
  }

  async load(): Promise<void> {
    await this.store.migrate('lambda-layers', MIGRATIONS);
    await this.refresh();
    this.unlisten = reloadOnPeers(this.notifier, LAYERS_CHANNEL, () => this.refresh(), (e) => this.onError(e));
  }

  close(): void {
    this.unlisten?.();
  }

  /** Re-reads every layer version (the tables are small; changes are rare). */
  private async refresh(): Promise<void> {
    const versions = new Map<string, Map<number, LayerVersion>>();
    const deleted = new Map<string, LayerVersion>();
    for (const r of await this.store.all<{ region: string; name: string; version: number; config: string }>('SELECT * FROM lambda_layers')) {
      let m = versions.get(key(r.region, r.name));
      if (!m) versions.set(key(r.region, r.name), (m = new Map()));
      m.set(r.version, JSON.parse(r.config) as LayerVersion);
    }
    for (const r of await this.store.all<{ config: string }>('SELECT config FROM lambda_layers_deleted')) {
      const lv = JSON.parse(r.config) as LayerVersion;
      deleted.set(this.versionArn(lv), lv);
    }
    this.versions.clear();
    for (const [k, m] of versions) this.versions.set(k, m);
    for (const [k, lv] of deleted) this.deleted.set(k, lv);
  }

  private announce(): void {
    announce(this.notifier, LAYERS_CHANNEL);
  }

  private versionArn(lv: Pick<LayerVersion, 'region' | 'name' | 'version'>): string {
    return `${this.layerArn(lv.region, lv.name)}:${lv.version}`;
  }

  /** A layer version a function already uses: live, or deleted since (its content stays). */
  private inUse(arn: string): LayerVersion {
    return this.deleted.get(arn) ?? this.byArn(arn);
  }

  layerArn(region: string, name: string): string {
    return `arn:aws:lambda:${region}:${this.accountId}:layer:${name}`;
  }

  private byName(region: string, name: string, create = false): Map<number, LayerVersion> {
    let m = this.versions.get(key(region, name));
    if (!m && create) this.versions.set(key(region, name), (m = new Map()));
    return m ?? new Map();
  }

  /** Layer names accept an ARN of this account and region too. */
  nameOf(region: string, raw: string): string {
    const m = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/.exec(raw);
    if (!m) return raw;
    if (m[1] !== region || m[2] !== this.accountId) throw notFound(`Layer not found: ${raw}`);
    return m[3]!;
  }

  async publish(region: string, name: string, input: Omit<LayerVersion, 'region' | 'name' | 'version' | 'CreatedDate' | 'CodeSha256' | 'CodeSize' | 'unzippedSize' | 'codeShaHex' | 'policy' | 'policyRevision'>, zip: Buffer): Promise<LayerVersion> {
    const pkg: CodePackage = await storeZip(this.store.blobs, zip);
    const signing = await this.signatureOf?.(zip);
    // The number is taken in the store, so that publishes of one layer on any node (or at once) get distinct ones;
    // numbers are never reused, also after a version is deleted.
    const lv = await this.store.tx(async (q) => {
      const row = await q.get<{ next_version: number }>(
        'INSERT INTO lambda_layer_names (region, name, next_version) VALUES (?, ?, 2) ON CONFLICT (region, name) DO UPDATE SET next_version = lambda_layer_names.next_version + 1 RETURNING next_version',
        [region, name],
      );
      const version = Number(row!.next_version) - 1;
      const made: LayerVersion = {
        ...input,
        region,
        name,
        version,
        CreatedDate: lambdaTimestamp(this.clock.now()).replace(/\.\d{3}\+0000$/, '.000+0000'),
        CodeSha256: pkg.sha256,
        CodeSize: pkg.size,
        unzippedSize: pkg.unzippedSize,
        codeShaHex: pkg.shaHex,
        ...(signing ?? {}),
        policy: [],
        policyRevision: hex(16),
      };
      await q.run('INSERT INTO lambda_layers (region, name, version, config, policy) VALUES (?, ?, ?, ?, ?)', [region, name, version, JSON.stringify(made), '[]']);
      return made;
    });
    const version = lv.version;
    this.byName(region, name, true).set(version, lv);
    this.announce();
    return lv;
  }

  get(region: string, name: string, version: number): LayerVersion {
    const lv = this.byName(region, name).get(version);
    if (!lv) throw notFound('The resource you requested does not exist.');
    return lv;
  }

  /** A layer version by its ARN, as functions reference it; AWS's error when it does not exist. */
  byArn(arn: string): LayerVersion {
    const m = LAYER_VERSION_ARN.exec(arn);
    if (!m) {
      throw new AwsError('ValidationException', `1 validation error detected: Value '${arn}' at 'layers' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+`);
    }
    const lv = m[2] === this.accountId ? this.byName(m[1]!, m[3]!).get(Number(m[4])) : undefined;
    if (!lv) throw new AwsError('InvalidParameterValueException', `Layer version ${arn} does not exist.`);
    return lv;
  }

  versionsOf(region: string, name: string): LayerVersion[] {
    return [...this.byName(region, name).values()].sort((a, b) => b.version - a.version);
  }

  /** Bytes of layer archives in a region (live versions). */
  totalCodeSize(region: string): number {
    let n = 0;
    for (const [k, m] of this.versions) if (k.startsWith(`${region}\u0000`)) for (const lv of m.values()) n += lv.CodeSize;
    return n;
  }

  names(region: string): string[] {
    return [...this.versions.entries()]
      .filter(([k, m]) => k.startsWith(`${region}\u0000`) && m.size > 0)
      .map(([k]) => k.slice(region.length + 1))
      .sort();
  }

  async delete(region: string, name: string, version: number): Promise<void> {
    const lv = this.byName(region, name).get(version);
    await this.store.tx(async (q) => {
      await q.run('DELETE FROM lambda_layers WHERE region = ? AND name = ? AND version = ?', [region, name, version]);
      if (lv) await q.run('INSERT INTO lambda_layers_deleted (region, name, version, config) VALUES (?, ?, ?, ?) ON CONFLICT (region, name, version) DO UPDATE SET config = excluded.config', [region, name, version, JSON.stringify(lv)]);
    });
    this.byName(region, name).delete(version);
    if (lv) this.deleted.set(this.versionArn(lv), lv);
    this.announce();
  }

  async savePolicy(lv: LayerVersion, policy: Statement[]): Promise<void> {
    lv.policy = policy;
    lv.policyRevision = hex(16);
    await this.store.run('UPDATE lambda_layers SET config = ? WHERE region = ? AND name = ? AND version = ?', [JSON.stringify(lv), lv.region, lv.name, lv.version]);
    this.announce();
  }

  /**
   * Checks a function's layer list (each must exist; function plus layers within 250 MB unzipped) and returns the
   * `Layers` members of its configuration.
   */
  resolve(arns: readonly string[], functionUnzipped: number, current: readonly string[] = []): { Arn: string; CodeSize: number }[] {
    // Layers the function already has may have been deleted since: it keeps them (AWS's behaviour); new ones must exist.
    const layers = arns.map((arn) => ({ arn, lv: current.includes(arn) ? this.inUse(arn) : this.byArn(arn) }));
    const total = layers.reduce((n, l) => n + l.lv.unzippedSize, functionUnzipped);
    if (total > MAX_UNZIPPED) {
      throw new AwsError('InvalidParameterValueException', `Function code combined with layers exceeds the maximum allowed size of ${MAX_UNZIPPED} bytes. The actual size is ${total} bytes.`);
    }
    return layers.map((l) => ({ Arn: l.arn, CodeSize: l.lv.CodeSize }));
  }

  /** The merged `/opt` for an ordered list of layer version ARNs: built once per distinct list, then reused. */
  optDir(arns: readonly string[]): Promise<string> {
    const shas = arns.map((a) => this.inUse(a).codeShaHex);
    const id = createHash('sha256').update(shas.join(',')).digest('hex');
    let p = this.building.get(id);
    if (!p) {
      p = this.merge(id, shas);
      this.building.set(id, p);
      p.catch(() => this.building.delete(id));
    }
    return p;
  }

  private async merge(id: string, shas: string[]): Promise<string> {
    const dir = this.store.blobs.derivedDir('opt', id);
    try {
      await stat(dir);
      return dir;
    } catch {
      // not built yet
    }
    const tmp = `${dir}.${hex(6)}.tmp`;
    await mkdir(tmp, { recursive: true });
    try {
      for (const sha of shas) await cp(await codeDir(this.store.blobs, sha), tmp, { recursive: true, force: true, verbatimSymlinks: true });
      await renameIntoPlace(tmp, dir);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    return dir;
  }
}
