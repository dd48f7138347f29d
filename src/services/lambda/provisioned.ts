// Provisioned concurrency: per version or alias, that many environments initialised ahead of demand and kept warm,
// persisted so that they are provisioned again after a restart; status IN_PROGRESS → READY or FAILED. In a cluster
// the environments of a configuration run on the node holding its lease (`prov:<key>`, taken over after a death);
// that node writes the status to the row, which the other nodes read after its notification.
import { announce, reloadOnPeers } from './peers.js';
import type { Engine } from '../../engine/engine.js';
import type { Environment } from '../../engine/environment.js';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { lambdaTimestamp } from '../../lib/ids.js';
import type { Store } from '../../store/store.js';
import type { Notifier } from '../../store/notifier.js';
import type { Leases } from '../../store/leases.js';
import type { FunctionRegistry } from './functions.js';
import { LATEST, type FunctionRecord } from './model.js';
import { aliasNotFound, functionNotFound, provisionedNeedsPublished, provisionedOnUnpublished } from './errors.js';
import type { SpecCache } from './spec.js';

const MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_provisioned (region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, requested INTEGER NOT NULL,
           modified INTEGER NOT NULL, PRIMARY KEY (region, name, qualifier))`,
  },
  {
    // What the holder of a configuration's lease last reported (read by the other nodes of a cluster).
    version: 2,
    up: `ALTER TABLE lambda_provisioned ADD COLUMN status TEXT;
         ALTER TABLE lambda_provisioned ADD COLUMN reason TEXT;
         ALTER TABLE lambda_provisioned ADD COLUMN available INTEGER`,
  },
];

const CHANNEL = 'lambda:provisioned';
/** How often a node of a cluster looks for configurations whose holder died. */
const BALANCE_MS = 3_000;

export interface ProvisionedCluster {
  notifier: Notifier;
  leases: Leases;
}

interface Row {
  region: string;
  name: string;
  qualifier: string;
  requested: number;
  modified: number;
  status: string | null;
  reason: string | null;
  available: number | null;
}

type Status = 'IN_PROGRESS' | 'READY' | 'FAILED';

interface Config {
  region: string;
  name: string;
  qualifier: string;
  requested: number;
  modified: number;
  status: Status;
  reason?: string;
  envs: Set<Environment>;
  /** Environments being initialised right now, per version. */
  starting: Map<string, number>;
  /** The versions and counts last provisioned (an alias's targets then), as a comparable key. */
  targets?: string;
  active: boolean;
  /** In a cluster, on a node that does not hold the lease: what the holder reported. */
  remote?: { status: Status; reason?: string; available: number };
}

const targetsKey = (t: Map<string, number>): string => JSON.stringify([...t].sort(([a], [b]) => (a < b ? -1 : 1)));
const keyOf = (region: string, name: string, qualifier: string): string => `${region}\u0000${name}\u0000${qualifier}`;

export class ProvisionedConcurrency {
  private readonly configs = new Map<string, Config>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly registry: FunctionRegistry,
    private readonly specs: SpecCache,
    private readonly engine: Engine,
    private readonly cluster?: ProvisionedCluster,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private unlisten: (() => void) | undefined;
  private cancelBalance: (() => void) | undefined;
  /** Configurations whose lease this node holds (cluster mode). */
  private readonly held = new Set<string>();

  private lease(c: { region: string; name: string; qualifier: string }): string {
    // Text the store accepts (PostgreSQL refuses NUL, which the in-memory keys use).
    return `prov:${c.region}/${c.name}/${c.qualifier}`;
  }

  private announce(): void {
    announce(this.cluster?.notifier, CHANNEL);
  }

  /** Re-reads the configurations (another node changed one, or reported a status). */
  private async refresh(): Promise<void> {
    const rows = await this.store.all<Row>('SELECT * FROM lambda_provisioned');
    const seen = new Set<string>();
    for (const r of rows) {
      const k = keyOf(r.region, r.name, r.qualifier);
      seen.add(k);
      let c = this.configs.get(k);
      if (!c || c.modified !== r.modified) {
        if (c) this.release(c, 0);
        c = this.track(r.region, r.name, r.qualifier, r.requested, r.modified);
        if (this.held.has(k)) this.start(c);
      }
      if (!this.held.has(k)) c.remote = { status: (r.status ?? 'IN_PROGRESS') as Status, ...(r.reason ? { reason: r.reason } : {}), available: r.available ?? 0 };
    }
    for (const [k, c] of [...this.configs]) {
      if (seen.has(k)) continue;
      this.release(c, 0);
      this.configs.delete(k);
      if (this.held.delete(k)) await this.cluster?.leases.release(this.lease(c));
    }
    await this.balance();
  }

  /** Takes the configurations nobody holds (new, or their holder died) and provisions them here. */
  private async balance(): Promise<void> {
    const cl = this.cluster;
    if (!cl) return;
    for (const [k, c] of this.configs) {
      if (this.held.has(k)) continue;
      if (!(await cl.leases.acquire(this.lease(c)))) continue;
      this.held.add(k);
      delete c.remote;
      c.status = 'IN_PROGRESS';
      this.start(c);
    }
  }

  /** The holder records what it reached, for the other nodes. */
  private report(c: Config): void {
    if (!this.cluster) return;
    const live = [...c.envs].filter((e) => e.state !== 'Destroyed').length;
    this.store
      .run('UPDATE lambda_provisioned SET status = ?, reason = ?, available = ? WHERE region = ? AND name = ? AND qualifier = ? AND modified = ?', [
        c.status, c.reason ?? null, Math.min(live, c.requested), c.region, c.name, c.qualifier, c.modified,
      ])
      .then(() => this.announce(), (e: unknown) => this.onError(e));
  }

  /** Stops the balance timer (the node releases its leases after the services stop). */
  stop(): void {
    this.unlisten?.();
    const c = this.cancelBalance;
    this.cancelBalance = undefined;
    c?.();
  }

  async load(): Promise<void> {
    await this.store.migrate('lambda-provisioned', MIGRATIONS);
    const rows = await this.store.all<Row>('SELECT * FROM lambda_provisioned');
    for (const r of rows) {
      const fn = this.registry.list(r.region).find((f) => f.name === r.name);
      // A crash between deleting a function, version or alias and deleting its configuration leaves an orphan row.
      if (!fn || (!fn.versions.has(r.qualifier) && !fn.aliases.has(r.qualifier))) {
        await this.store.run('DELETE FROM lambda_provisioned WHERE region = ? AND name = ? AND qualifier = ?', [r.region, r.name, r.qualifier]);
        continue;
      }
      const c = this.track(r.region, r.name, r.qualifier, r.requested, r.modified);
      if (this.cluster) c.remote = { status: (r.status ?? 'IN_PROGRESS') as Status, ...(r.reason ? { reason: r.reason } : {}), available: r.available ?? 0 };
    }
  }

  /** Provisions the loaded configurations (once the engine runs); in a cluster, those this node gets the lease of. */
  resume(): void {
    const cl = this.cluster;
    if (!cl) {
      for (const c of this.configs.values()) this.start(c);
      return;
    }
    this.unlisten = reloadOnPeers(cl.notifier, CHANNEL, () => this.refresh(), (e) => this.onError(e));
    const arm = (): void => {
      this.cancelBalance = this.clock.setTimer(BALANCE_MS, () => {
        void this.balance()
          .catch((e: unknown) => this.onError(e))
          .finally(() => {
            if (this.cancelBalance) arm();
          });
      });
    };
    arm();
    this.balance().catch((e: unknown) => this.onError(e));
  }

  /**
   * The function whose published version or alias `qualifier` names, with AWS's error for each way it is missing: a
   * number is a version ("Function not found"), anything else an alias ("Cannot find alias arn"); `$LATEST` gets
   * `onLatest` (Put and Get/Delete word it differently).
   */
  target(region: string, name: string, qualifier: string | undefined, onLatest: () => AwsError): { fn: FunctionRecord; qualifier: string } {
    if (qualifier === undefined) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null");
    const fn = this.registry.find(region, name);
    if (qualifier === LATEST) {
      if (!fn) throw functionNotFound(this.registry.arn(region, name, qualifier));
      throw onLatest();
    }
    const isVersion = /^\d+$/.test(qualifier);
    const arn = this.registry.arn(region, name, qualifier);
    const alias = fn?.aliases.get(qualifier);
    if (isVersion ? !fn?.versions.has(qualifier) : !alias) throw isVersion ? functionNotFound(arn) : aliasNotFound(arn);
    if (alias?.FunctionVersion === LATEST) throw onLatest();
    return { fn: fn!, qualifier };
  }

  async put(region: string, name: string, named: string | undefined, requested: number): Promise<Record<string, unknown>> {
    const { fn, qualifier } = this.target(region, name, named, provisionedOnUnpublished);
    if (fn.reserved !== undefined && requested > fn.reserved) {
      throw new AwsError('InvalidParameterValueException', `Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function: ${requested} > ${fn.reserved}`);
    }
    const now = this.clock.now();
    await this.store.run(
      `INSERT INTO lambda_provisioned (region, name, qualifier, requested, modified) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (region, name, qualifier) DO UPDATE SET requested = excluded.requested, modified = excluded.modified`,
      [region, name, qualifier, requested, now],
    );
    const old = this.configs.get(keyOf(region, name, qualifier));
    if (old) this.release(old, requested);
    const c = this.track(region, name, qualifier, requested, now);
    // The environments the old configuration keeps carry over (the rest became on-demand ones in release).
    if (old) for (const e of old.envs) if (e.state !== 'Destroyed' && e.provisioned) this.adopt(c, e);
    if (!this.cluster) this.start(c);
    else if (this.held.has(keyOf(region, name, qualifier))) this.start(c);
    else {
      c.remote = { status: 'IN_PROGRESS', available: 0 };
      await this.balance();
    }
    this.announce();
    return this.wire(c);
  }

  get(region: string, name: string, qualifier: string | undefined): Record<string, unknown> {
    this.target(region, name, qualifier, provisionedNeedsPublished);
    const c = qualifier === undefined ? undefined : this.configs.get(keyOf(region, name, qualifier));
    if (!c) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    return this.wire(c);
  }

  list(region: string, name: string): Record<string, unknown>[] {
    this.registry.requireFunction(region, { name });
    return [...this.configs.values()]
      .filter((c) => c.region === region && c.name === name)
      .map((c) => ({ FunctionArn: this.registry.arn(region, name, c.qualifier), ...this.wire(c) }));
  }

  async delete(region: string, name: string, qualifier: string | undefined): Promise<void> {
    this.target(region, name, qualifier, provisionedNeedsPublished);
    const c = qualifier === undefined ? undefined : this.configs.get(keyOf(region, name, qualifier));
    if (!c) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    await this.drop(c);
  }

  /** Forgets a configuration at once (so that a read right after the delete that caused it sees it gone), then durably. */
  private async drop(c: Config): Promise<void> {
    this.release(c, 0);
    if (this.configs.get(keyOf(c.region, c.name, c.qualifier)) === c) this.configs.delete(keyOf(c.region, c.name, c.qualifier));
    await this.store.run('DELETE FROM lambda_provisioned WHERE region = ? AND name = ? AND qualifier = ?', [c.region, c.name, c.qualifier]);
    const k = keyOf(c.region, c.name, c.qualifier);
    if (this.held.delete(k)) await this.cluster?.leases.release(this.lease(c));
    this.announce();
  }

  /** Provisioned environments requested by functions without a reservation (they draw on the unreserved pool), but one. */
  unreservedTotal(except?: { region: string; name: string; qualifier: string }): number {
    let n = 0;
    for (const c of this.configs.values()) {
      if (except && c.region === except.region && c.name === except.name && c.qualifier === except.qualifier) continue;
      const fn = this.registry.list(c.region).find((f) => f.name === c.name);
      if (fn && fn.reserved === undefined) n += c.requested;
    }
    return n;
  }

  /** A function (or one of its versions) was deleted: its configurations go with it. */
  async forget(region: string, name: string, version?: string): Promise<void> {
    for (const c of [...this.configs.values()]) {
      if (c.region !== region || c.name !== name) continue;
      if (version !== undefined && c.qualifier !== version) continue;
      await this.drop(c);
    }
  }

  /**
   * An alias changed: a configuration on it is re-provisioned for the alias's new version (IN_PROGRESS again; the old
   * version's environments become on-demand ones), or deleted with the alias, as AWS does.
   */
  async aliasChanged(region: string, name: string, alias: string, deleted: boolean): Promise<void> {
    const c = this.configs.get(keyOf(region, name, alias));
    if (!c) return;
    if (deleted) return this.drop(c);
    if (c.targets === undefined || c.targets === targetsKey(this.targets(c))) return;
    this.release(c, 0);
    this.start(this.track(region, name, alias, c.requested, c.modified));
  }

  private track(region: string, name: string, qualifier: string, requested: number, modified: number): Config {
    const c: Config = { region, name, qualifier, requested, modified, status: 'IN_PROGRESS', envs: new Set(), starting: new Map(), active: true };
    this.configs.set(keyOf(region, name, qualifier), c);
    return c;
  }

  /** Stops keeping environments for a replaced or deleted configuration; beyond `keep`, they become on-demand ones. */
  private release(c: Config, keep: number): void {
    c.active = false;
    let n = 0;
    for (const e of c.envs) if (n++ >= keep) e.provisioned = false;
  }

  private start(c: Config): void {
    // In a cluster only the holder of the lease provisions (the others show what it reports).
    if (this.cluster && !this.held.has(keyOf(c.region, c.name, c.qualifier))) return;
    void this.fill(c).catch((e: unknown) => {
      c.status = 'FAILED';
      c.reason = e instanceof Error ? e.message : String(e);
      this.report(c);
    });
  }

  /**
   * How many environments each version gets: a version all of them; an alias splits them between its versions by its
   * routing weights (the additional version gets its rounded share, the primary the rest).
   */
  private targets(c: Config): Map<string, number> {
    const alias = this.registry.requireFunction(c.region, { name: c.name }).aliases.get(c.qualifier);
    if (!alias) return new Map([[c.qualifier, c.requested]]);
    const m = new Map<string, number>();
    let rest = c.requested;
    for (const [v, w] of Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {})) {
      const k = Math.min(rest, Math.round(c.requested * w));
      if (k > 0) m.set(v, k);
      rest -= k;
    }
    if (rest > 0) m.set(alias.FunctionVersion, rest);
    return m;
  }

  /** Initialises environments until the requested number is live; replaces any that die later. */
  private async fill(c: Config): Promise<void> {
    if (!c.active) return;
    const targets = this.targets(c);
    c.targets = targetsKey(targets);
    await Promise.all([...targets].map(([version, want]) => this.fillVersion(c, version, want)));
    if (c.active && c.status !== 'FAILED' && c.envs.size >= c.requested) c.status = 'READY';
    if (c.active) this.report(c);
  }

  private async fillVersion(c: Config, version: string, want: number): Promise<void> {
    const resolved = this.registry.requireVersion(c.region, { name: c.name }, version);
    const spec = await this.specs.get(c.region, resolved);
    const starting = c.starting.get(version) ?? 0;
    const missing = want - [...c.envs].filter((e) => e.spec?.version === version).length - starting;
    if (missing <= 0) return;
    c.starting.set(version, starting + missing);
    const done = (): void => void c.starting.set(version, (c.starting.get(version) ?? 1) - 1);
    const results = await Promise.all(Array.from({ length: missing }, () => this.engine.provision(spec).finally(done)));
    for (const r of results) {
      if (!r.ok) {
        c.status = 'FAILED';
        c.reason = r.reason;
        continue;
      }
      if (!c.active) {
        r.env.provisioned = false;
        continue;
      }
      this.adopt(c, r.env);
    }
  }

  private adopt(c: Config, env: Environment): void {
    c.envs.add(env);
    env.whenDestroyed((e) => {
      c.envs.delete(e);
      // A provisioned environment that crashed or timed out is replaced, as AWS keeps the allocation.
      if (c.active && c.status !== 'FAILED') {
        c.status = 'IN_PROGRESS';
        this.start(c);
      }
    });
  }

  private wire(c: Config): Record<string, unknown> {
    if (c.remote) {
      return {
        RequestedProvisionedConcurrentExecutions: c.requested,
        AvailableProvisionedConcurrentExecutions: c.remote.available,
        AllocatedProvisionedConcurrentExecutions: c.remote.available,
        Status: c.remote.status,
        ...(c.remote.reason ? { StatusReason: c.remote.reason } : {}),
        LastModified: lambdaTimestamp(c.modified),
      };
    }
    const live = [...c.envs].filter((e) => e.state !== 'Destroyed').length;
    return {
      RequestedProvisionedConcurrentExecutions: c.requested,
      AvailableProvisionedConcurrentExecutions: Math.min(live, c.requested),
      AllocatedProvisionedConcurrentExecutions: Math.min(live, c.requested),
      Status: c.status,
      ...(c.reason ? { StatusReason: c.reason } : {}),
      LastModified: lambdaTimestamp(c.modified),
    };
  }
}
