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
  /** Environments being initialised right now. */
  starting: number;
  active: boolean;
}

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
    for (const r of rows) this.track(r.region, r.name, r.qualifier, r.requested, r.modified);
  }

  /** Provisions the loaded configurations (once the engine runs). */
  resume(): void {
    for (const c of this.configs.values()) this.start(c);
  }

  async put(region: string, name: string, qualifier: string | undefined, requested: number): Promise<Record<string, unknown>> {
    const fn = this.registry.requireFunction(region, { name });
    if (qualifier === undefined) throw new AwsError('ValidationException', "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null");
    if (qualifier === LATEST) throw new AwsError('InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    this.registry.requireVersion(region, { name }, qualifier);
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
    if (old) for (const e of old.envs) if (e.state !== 'Destroyed') c.envs.add(e);
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

  private async drop(c: Config): Promise<void> {
    await this.store.run('DELETE FROM lambda_provisioned WHERE region = ? AND name = ? AND qualifier = ?', [c.region, c.name, c.qualifier]);
    this.release(c, 0);
    this.configs.delete(keyOf(c.region, c.name, c.qualifier));
  }

  /** A function (or one of its versions) was deleted: its configurations go with it. */
  async forget(region: string, name: string, version?: string): Promise<void> {
    for (const c of [...this.configs.values()]) {
      if (c.region !== region || c.name !== name) continue;
      if (version !== undefined && c.qualifier !== version) continue;
      await this.drop(c);
    }
  }

  private track(region: string, name: string, qualifier: string, requested: number, modified: number): Config {
    const c: Config = { region, name, qualifier, requested, modified, status: 'IN_PROGRESS', envs: new Set(), starting: 0, active: true };
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

  /** Initialises environments until the requested number is live; replaces any that die later. */
  private async fill(c: Config): Promise<void> {
    if (!c.active) return;
    const fn = this.registry.requireFunction(c.region, { name: c.name });
    const resolved = this.registry.requireVersion(c.region, { name: fn.name }, c.qualifier);
    const spec = await this.specs.get(c.region, resolved);
    const missing = c.requested - c.envs.size - c.starting;
    if (missing <= 0) {
      if (c.starting === 0) c.status = 'READY';
      return;
    }
    c.starting += missing;
    const results = await Promise.all(Array.from({ length: missing }, () => this.engine.provision(spec).finally(() => c.starting--)));
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
      c.envs.add(r.env);
      r.env.whenDestroyed((e) => {
        c.envs.delete(e);
        // A provisioned environment that crashed or timed out is replaced, as AWS keeps the allocation.
        if (c.active && c.status !== 'FAILED') {
          c.status = 'IN_PROGRESS';
          this.start(c);
        }
      });
    }
    if (c.status !== 'FAILED' && c.envs.size >= c.requested) c.status = 'READY';
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
