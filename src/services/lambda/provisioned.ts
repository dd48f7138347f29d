// Provisioned concurrency: per version or alias, that many environments initialised ahead of demand and kept warm,
// persisted so that they are provisioned again after a restart; status IN_PROGRESS → READY or FAILED.
import type { Engine } from '../../engine/engine.js';
import type { Environment } from '../../engine/environment.js';
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import { lambdaTimestamp } from '../../lib/ids.js';
import type { Store } from '../../store/store.js';
import type { FunctionRegistry } from './functions.js';
import { LATEST } from './model.js';
import type { SpecCache } from './spec.js';

const MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_provisioned (region TEXT NOT NULL, name TEXT NOT NULL, qualifier TEXT NOT NULL, requested INTEGER NOT NULL,
           modified INTEGER NOT NULL, PRIMARY KEY (region, name, qualifier))`,
  },
];

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
  ) {}

  async load(): Promise<void> {
    await this.store.migrate('lambda-provisioned', MIGRATIONS);
    const rows = await this.store.all<{ region: string; name: string; qualifier: string; requested: number; modified: number }>('SELECT * FROM lambda_provisioned');
    for (const r of rows) {
      const fn = this.registry.list(r.region).find((f) => f.name === r.name);
      // A crash between deleting a function, version or alias and deleting its configuration leaves an orphan row.
      if (!fn || (!fn.versions.has(r.qualifier) && !fn.aliases.has(r.qualifier))) {
        await this.store.run('DELETE FROM lambda_provisioned WHERE region = ? AND name = ? AND qualifier = ?', [r.region, r.name, r.qualifier]);
        continue;
      }
      this.track(r.region, r.name, r.qualifier, r.requested, r.modified);
    }
  }

  /** Provisions the loaded configurations (once the engine runs). */
  resume(): void {
    for (const c of this.configs.values()) this.start(c);
  }

  async put(region: string, name: string, qualifier: string | undefined, requested: number): Promise<Record<string, unknown>> {
    const fn = this.registry.requireFunction(region, { name });
    if (qualifier === undefined) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null");
    if (qualifier === LATEST) throw new AwsError('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    if (this.registry.requireVersion(region, { name }, qualifier).version === LATEST) {
      throw new AwsError('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    }
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
    this.start(c);
    return this.wire(c);
  }

  get(region: string, name: string, qualifier: string | undefined): Record<string, unknown> {
    this.registry.requireFunction(region, { name });
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
    this.registry.requireFunction(region, { name });
    const c = qualifier === undefined ? undefined : this.configs.get(keyOf(region, name, qualifier));
    if (!c) throw new AwsError('ProvisionedConcurrencyConfigNotFoundException', 'No Provisioned Concurrency Config found for this function');
    await this.drop(c);
  }

  /** Forgets a configuration at once (so that a read right after the delete that caused it sees it gone), then durably. */
  private async drop(c: Config): Promise<void> {
    this.release(c, 0);
    if (this.configs.get(keyOf(c.region, c.name, c.qualifier)) === c) this.configs.delete(keyOf(c.region, c.name, c.qualifier));
    await this.store.run('DELETE FROM lambda_provisioned WHERE region = ? AND name = ? AND qualifier = ?', [c.region, c.name, c.qualifier]);
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
    void this.fill(c).catch((e: unknown) => {
      c.status = 'FAILED';
      c.reason = e instanceof Error ? e.message : String(e);
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
