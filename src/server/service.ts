// The service contract: what a service module gets (its context), what it hands back (routes, module API,
// lifecycle), and the list that creates, starts and stops a node's services in order.
//
// A service is `{ name, create(ctx) }`. `create` loads the service's state and builds its routes but starts no
// background work (no timers, workers, pollers, resumed executions); `start()` starts it; `stop()` stops it and
// flushes its writes. `stop()` is called on every created instance, also one that was never started (a later
// service failed), so it must work in either state. Services depend on each other only through `deps`, typed as
// the module APIs they use; the list orders them so that dependencies are created first, and there are no setters.
import type { Clock } from '../lib/clock.js';
import type { Journal } from '../store/journal.js';
import type { Notifier } from '../store/notifier.js';
import type { Store } from '../store/store.js';
import type { Leases } from '../store/leases.js';
import type { Membership } from '../store/nodes.js';
import type { WorkQueues } from '../store/work.js';
import type { ServiceRoutes } from './types.js';
import type { AuthMode, RootKey } from './auth.js';

/** A failure to start that deserves one clear line, not a stack trace (bad options, a file that does not load). */
export class StartupError extends Error {}

/** The node's settings, as `selfless start` parsed them (services read theirs from here, not from globals). */
export interface NodeConfig {
  readonly accountId: string;
  /** Region for requests without a SigV4 scope. */
  readonly defaultRegion: string;
  /** The data directory (absolute). */
  readonly dataDir: string;
  /** The account root's access key: internal loopback callers sign with it (function environments get it too). */
  readonly rootKey: RootKey;
  /**
   * `enforce`: services refuse what AWS refuses on their own account too (an event source invoking a function its
   * policy does not allow); `dev`: they only log that AWS would refuse it.
   */
  readonly authMode: AuthMode;
  /** This node's base URL; known once the server listens, so read it when needed, not in `create`. */
  endpointUrl(): string;
  /** Engine: idle environments are destroyed after this long. */
  readonly idleTimeoutMs: number;
  /** Engine: runtimes kept started ahead of need per (runtime, memory size). */
  readonly prestartPerKey: number;
  readonly accountConcurrency: number;
  /** Engine: `sandbox`, `process`, or `auto` (the sandbox where this machine supports it). */
  readonly isolation: 'auto' | 'sandbox' | 'process';
  /** Lambda async invoke: base retry delay after function errors (AWS: 60 s, then twice that). */
  readonly asyncRetryDelaySeconds?: number;
  /** Lambda async invoke: events of one function in flight at once. */
  readonly asyncConcurrency?: number;
  /**
   * Engine: the interpreter map (`--runtime RUNTIME=PATH`, `none` for missing), whether PATH/pyenv/nvm/the data dir
   * are searched too, whether the nearest version stands in for a missing one, and arm64 on a host without emulation.
   */
  readonly runtimes?: { readonly map: Readonly<Record<string, string>>; readonly discover: boolean; readonly fallback: boolean; readonly arm64: 'refuse' | 'warn' };
  /** Gateway: a JSON file of APIs (`{"apis": {"<id>": {…}}}`) put into the route table at start. */
  readonly gatewayConfig?: string;
  /** KMS: the node master key file (default `<dataDir>/kms-master.key`); every node of a cluster needs the same one. */
  readonly kmsMasterKeyFile?: string;
}

export interface ClusterContext {
  /** This node's id: the owner of its claims and leases. */
  readonly nodeId: string;
  readonly work: WorkQueues;
  readonly leases: Leases;
  readonly membership: Membership;
}

export interface ServiceContext<D> {
  readonly store: Store;
  /** The node's group-commit journal for hot durable writes (messages, async events, log lines); see store/journal.ts. */
  readonly journal: Journal;
  readonly clock: Clock;
  /** Wakes waiters on this and other nodes after a commit; memory caches are invalidated through it. */
  readonly notifier: Notifier;
  readonly config: NodeConfig;
  /** Writes one line to the operator's log (stderr). */
  readonly log: (msg: string) => void;
  /** The module APIs of the services (and the engine) this service uses. */
  readonly deps: D;
  /** This node in the cluster: work queues with claims, leases of long-running work, membership. */
  readonly cluster: ClusterContext;
}

export interface ServiceInstance<A> {
  /** What the HTTP server dispatches to this service. */
  readonly routes: ServiceRoutes;
  /** The module API other services get in their `deps`. */
  readonly api: A;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Ends waits that clients hold open (long polls), so that the HTTP server can drain; called before it closes,
   *  before any `stop()`. */
  beforeHttpClose?(): void;
}

export interface ServiceModule<D, A> {
  readonly name: string;
  create(ctx: ServiceContext<D>): Promise<ServiceInstance<A>>;
}

/** Gives the API of a module created earlier in the list. */
export type UseApi = <A>(module: ServiceModule<never, A>) => A;

/** One entry of the list: a module and how its deps are drawn from the modules before it. */
export interface ServiceEntry {
  readonly module: ServiceModule<never, unknown>;
  readonly deps: (use: UseApi) => unknown;
}

export function entry<D, A>(module: ServiceModule<D, A>, deps: (use: UseApi) => D): ServiceEntry {
  return { module: module as ServiceModule<never, unknown>, deps };
}

interface Created {
  module: ServiceModule<never, unknown>;
  instance: ServiceInstance<unknown>;
}

/** The services of one node, created in list order; started in order, stopped in reverse. */
export class ServiceSet {
  private readonly stopped = new Set<ServiceInstance<unknown>>();
  private readonly running = new Set<ServiceInstance<unknown>>();

  private constructor(private readonly created: Created[]) {}

  /**
   * Creates every entry in order, each with the APIs of those before it. When one fails, those already created
   * are stopped in reverse order and the failure is thrown.
   */
  static async create(entries: readonly ServiceEntry[], base: Omit<ServiceContext<unknown>, 'deps'>): Promise<ServiceSet> {
    const created: Created[] = [];
    const set = new ServiceSet(created);
    for (const item of entries) {
      const use: UseApi = <A>(m: ServiceModule<never, A>): A => {
        const c = created.find((x) => x.module === m);
        if (!c) throw new Error(`service ${item.module.name} uses ${m.name}, which is not before it in the list`);
        return c.instance.api as A;
      };
      try {
        const deps = item.deps(use);
        const instance = await item.module.create({ ...base, deps: deps as never });
        created.push({ module: item.module, instance });
      } catch (err) {
        const failed = item.module.name;
        await set.stop().catch((x: unknown) => base.log(`selfless: error while stopping after ${failed} failed to start: ${x instanceof Error ? x.message : String(x)}`));
        throw err;
      }
    }
    return set;
  }

  /** Routes in list order. */
  routes(): ServiceRoutes[] {
    return this.created.map((c) => c.instance.routes);
  }

  /** The API of a created module. */
  api<A>(module: ServiceModule<never, A>): A {
    const c = this.created.find((x) => x.module === module);
    if (!c) throw new Error(`service ${module.name} is not in the list`);
    return c.instance.api as A;
  }

  /** Starts every service in order; the first failure is thrown (the caller stops the set). */
  async start(): Promise<void> {
    for (const c of this.created) {
      await c.instance.start();
      this.running.add(c.instance);
    }
  }

  /** Each service with its state, in list order (the health route). */
  states(): { name: string; state: 'created' | 'running' | 'stopped' }[] {
    return this.created.map((c) => ({ name: c.module.name, state: this.stopped.has(c.instance) ? 'stopped' : this.running.has(c.instance) ? 'running' : 'created' }));
  }

  beforeHttpClose(): void {
    for (const c of [...this.created].reverse()) c.instance.beforeHttpClose?.();
  }

  /** Stops every created service once, in reverse order, also past a failing one; throws the first failure. */
  async stop(): Promise<void> {
    let first: { error: unknown } | undefined;
    for (const c of [...this.created].reverse()) {
      if (this.stopped.has(c.instance)) continue;
      this.stopped.add(c.instance);
      try {
        await c.instance.stop();
      } catch (e) {
        first ??= { error: e };
      }
    }
    if (first) throw first.error;
  }
}
