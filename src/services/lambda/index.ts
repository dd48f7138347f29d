// The Lambda service: wires the registry, the control-plane routes and the Invoke API to the engine.
import type { Journal } from '../../store/journal.js';
import type { Engine } from '../../engine/engine.js';
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import { functionRoutes } from './api-functions.js';
import { concurrencyRoutes } from './api-concurrency.js';
import { layerRoutes } from './api-layers.js';
import { LayerRegistry } from './layers.js';
import { versionRoutes } from './api-versions.js';
import { ProvisionedConcurrency } from './provisioned.js';
import { invokeRoutes } from './api-invoke.js';
import { FunctionRegistry } from './functions.js';
import { createInvoker, type LambdaInvoker } from './invoker.js';
import { SpecCache, specPrefix } from './spec.js';
import { AsyncWorker } from './async/worker.js';
import type { QueueBroker } from '../sqs/broker.js';
import { asyncRoutes } from './async/api-async.js';
import { EventInvokeConfigs } from './async/event-invoke-config.js';
import { esmRoutes } from './esm/api-esm.js';
import { EventSourceMappings } from './esm/esm.js';
import { urlRoutes } from './api-urls.js';
import { streamRoutes } from './api-stream.js';
import { UrlRegistry } from './urls.js';

export interface LambdaService {
  routes: ServiceRoutes;
  registry: FunctionRegistry;
  specs: SpecCache;
  /** How other services invoke functions. */
  invoker: LambdaInvoker;
  /** Function URL configurations (the front door in services/gateway reads them). */
  urls: UrlRegistry;
  /** Starts background work that needs the running engine (provisioned concurrency after a restart). */
  resume(): void;
  /** The async invoke queue (Event invocations, schedules, destinations). */
  async: AsyncWorker;
  /** Hands the SQS module API to the parts that deliver to or read from queues. */
  attachQueues(queues: QueueBroker): void;
  /** Stops background work (the async worker) and flushes its writes. */
  close(): Promise<void>;
}

export async function createLambdaService(deps: {
  store: Store;
  clock: Clock;
  engine: Engine;
  accountId: string;
  /** Where failures of background work are reported. */
  onError?: (e: unknown) => void;
  /** Async invoke tuning: base retry delay (AWS: 60 s) and events of one function in flight at once. */
  asyncRetryDelaySeconds?: number;
  asyncConcurrency?: number;
  /** The process's group-commit journal (see store/journal.ts) for async events; without it they get their own. */
  journal?: Journal;
}): Promise<LambdaService> {
  const registry = new FunctionRegistry(deps.store, deps.clock, deps.accountId);
  await registry.load();
  const layers = new LayerRegistry(deps.store, deps.clock, deps.accountId);
  await layers.load();
  registry.layers = (arns, unzipped, current) => layers.resolve(arns, unzipped, current);
  registry.layersCodeSize = (region) => layers.totalCodeSize(region);
  const urls = new UrlRegistry(deps.store, deps.clock);
  await urls.load();
  const urlTargetExists = (region: string, name: string, q: string | undefined): boolean => {
    const fn = registry.list(region).find((f) => f.name === name);
    return fn !== undefined && (q === undefined || q === '$LATEST' || fn.aliases.has(q));
  };
  await urls.prune(urlTargetExists);
  const concurrency = deps.engine.concurrency;
  const specs = new SpecCache(
    deps.store.blobs,
    deps.accountId,
    (region, name) => registry.requireFunction(region, { name }).reserved,
    (arns) => layers.optDir(arns),
  );
  concurrency.setReservedTotal(registry.reservedTotal());
  registry.onChange((region, name, scope) => {
    // A deleted function (or alias) takes its URLs with it.
    urls.forget(region, name, (q) => urlTargetExists(region, name, q)).catch((e: unknown) => deps.onError?.(e));
    specs.forget(region, name);
    concurrency.setReservedTotal(registry.reservedTotal());
    if (scope.retire) deps.engine.retire(`${specPrefix(region, name)}${scope.version !== undefined ? `${scope.version}/` : ''}`);
    if (scope.retire && scope.version !== '$LATEST') {
      provisioned.forget(region, name, scope.version).catch((e: unknown) => deps.onError?.(e));
    }
    // Deleting a function removes its event invoke configs and its pending async events; deleting a version, the
    // version's config. Its event source mappings stay (as on AWS) and wait for a function of that name.
    if (scope.deleted) {
      eventConfigs.delete(region, name, scope.version).catch((e: unknown) => deps.onError?.(e));
      if (scope.version === undefined) asyncWorker.forget(region, name);
    }
    // Provisioned concurrency on an alias follows the alias to its new version, or goes with it.
    if (scope.alias) provisioned.aliasChanged(region, name, scope.alias.name, scope.alias.deleted).catch((e: unknown) => deps.onError?.(e));
  });
  const provisioned = new ProvisionedConcurrency(deps.store, deps.clock, registry, specs, deps.engine);
  const invoker = createInvoker({
    registry,
    specs,
    engine: deps.engine,
  });
  let queues: QueueBroker | undefined;
  const eventConfigs = new EventInvokeConfigs(deps.store, deps.clock);
  await eventConfigs.load();
  const asyncWorker = new AsyncWorker({
    clock: deps.clock,
    store: deps.store,
    invoker,
    accountId: deps.accountId,
    queues: () => queues,
    retryDelaySeconds: deps.asyncRetryDelaySeconds ?? 60,
    perFunctionConcurrency: deps.asyncConcurrency ?? 32,
    log: (m) => deps.onError?.(new Error(m)),
    journal: deps.journal,
    // The config of the qualifier invoked (unqualified = $LATEST); the DLQ is part of the version's configuration.
    policy: (e, r) => {
      const c = eventConfigs.get(e.region, r.fn.name, e.qualifier ?? '$LATEST');
      return {
        maxRetries: c?.MaximumRetryAttempts ?? 2,
        maxAgeSeconds: c?.MaximumEventAgeInSeconds ?? 21600,
        onSuccess: c?.DestinationConfig.OnSuccess.Destination,
        onFailure: c?.DestinationConfig.OnFailure.Destination,
        deadLetter: r.config.DeadLetterConfig?.TargetArn,
      };
    },
  });
  await asyncWorker.init();
  const mappings = new EventSourceMappings({ store: deps.store, clock: deps.clock, accountId: deps.accountId, invoker, queues: () => queues, log: (m) => deps.onError?.(new Error(m)) });
  await mappings.load();
  const routes: ServiceRoutes = {
    rest: [
      ...functionRoutes({
        registry,
        accountSettings: () => ({ ConcurrentExecutions: concurrency.accountLimit, UnreservedConcurrentExecutions: concurrency.unreservedLimit }),
        getFunctionExtras: (region, name) => {
          const reserved = registry.requireFunction(region, { name }).reserved;
          return reserved !== undefined ? { Concurrency: { ReservedConcurrentExecutions: reserved } } : {};
        },
      }),
      ...versionRoutes(registry),
      ...concurrencyRoutes(registry, concurrency, provisioned),
      ...layerRoutes(layers),
      ...streamRoutes({ invoker }),
      ...urlRoutes(registry, urls),
      ...invokeRoutes({ invoker, enqueueEvent: (req, ref, payload) => asyncWorker.enqueue(ref.region, ref.name, ref.qualifier, payload, req.requestId) }),
      ...asyncRoutes({ invoker, configs: eventConfigs, accountId: deps.accountId, enqueue: (...a) => asyncWorker.enqueue(...a) }),
      ...esmRoutes({ mappings, invoker, queues: () => queues, clock: deps.clock, accountId: deps.accountId }),
    ],
  };
  await provisioned.load();
  return {
    routes,
    registry,
    specs,
    invoker,
    urls,
    async: asyncWorker,
    resume: () => {
      provisioned.resume();
      asyncWorker.start();
      mappings.start();
    },
    attachQueues: (q) => {
      queues = q;
    },
    close: async () => {
      await mappings.stop();
      await asyncWorker.stop();
    },
  };
}
