// The Lambda service: wires the registry, the control-plane routes and the Invoke API to the engine.
import type { Engine } from '../../engine/engine.js';
import type { Clock } from '../../lib/clock.js';
import type { ServiceRoutes } from '../../server/types.js';
import type { Store } from '../../store/store.js';
import { functionRoutes } from './api-functions.js';
import { invokeRoutes } from './api-invoke.js';
import { FunctionRegistry } from './functions.js';
import { createInvoker, type LambdaInvoker } from './invoker.js';
import { SpecCache, specPrefix } from './spec.js';

export interface LambdaService {
  routes: ServiceRoutes;
  registry: FunctionRegistry;
  specs: SpecCache;
  /** How other services invoke functions. */
  invoker: LambdaInvoker;
}

export async function createLambdaService(deps: { store: Store; clock: Clock; engine: Engine; accountId: string }): Promise<LambdaService> {
  const registry = new FunctionRegistry(deps.store, deps.clock, deps.accountId);
  await registry.load();
  const specs = new SpecCache(deps.store.blobs, deps.accountId, () => undefined);
  registry.onChange((region, name) => {
    specs.forget(region, name);
    deps.engine.retire(specPrefix(region, name));
  });
  const concurrency = deps.engine.concurrency;
  const invoker = createInvoker({ registry, specs, engine: deps.engine });
  const routes: ServiceRoutes = {
    rest: [
      ...functionRoutes({
        registry,
        accountSettings: () => ({ ConcurrentExecutions: concurrency.accountLimit, UnreservedConcurrentExecutions: concurrency.unreservedLimit }),
      }),
      ...invokeRoutes({ invoker }),
    ],
  };
  return { routes, registry, specs, invoker };
}
