// The Lambda service: the registry, the control-plane routes and the Invoke API on the engine, async invoke
// (async/) and event source mappings (esm/); its module API is how other services invoke functions. On a shared store
// (a cluster on PostgreSQL) every node caches the configuration and reloads what other nodes change (peers.ts), async
// events are claimed work items, mappings and provisioned configurations are leased, and admission counts in the store.
import type { Engine } from '../../engine/engine.js';
import { AwsError } from '../../lib/errors.js';
import type { ServiceModule } from '../../server/service.js';
import type { RestRoute, ServiceRoutes } from '../../server/types.js';
import { parseFunctionRef } from './arn.js';
import type { SqsApi } from '../sqs/index.js';
import type { SnsApi } from '../sns/index.js';
import type { EventsApi } from '../events/index.js';
import type { IamApi } from '../iam/index.js';
import type { KmsApi } from '../kms/index.js';
import { EnvCrypto } from './env-crypto.js';
import { ExecutionRoles } from './roles.js';
import type { ShardStreamSource } from '../../lib/shard-stream.js';
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
import { asyncRoutes } from './async/api-async.js';
import { EventInvokeConfigs } from './async/event-invoke-config.js';
import { esmRoutes } from './esm/api-esm.js';
import { EventSourceMappings } from './esm/esm.js';
import { urlRoutes } from './api-urls.js';
import { streamRoutes } from './api-stream.js';
import { UrlRegistry } from './urls.js';
import { policyRoutes } from './api-policy.js';
import { documentOf, PolicyStore, type PolicyDocument } from './policies.js';
import { ClusterConcurrency } from './cluster-concurrency.js';
import { SourcePermissions, type SourceFacts } from './source-permission.js';
import { ImagePackages } from './images.js';
import type { EcrApi } from '../ecr/index.js';
import type { SignerApi } from '../signer/index.js';
import { CodeSigning } from './code-signing.js';
import { codeSigningRoutes } from './api-code-signing.js';
import { RuntimeManagementConfigs } from './runtime-management.js';
import { managedInstancesRoutes, runtimeManagementRoutes } from './api-runtime-management.js';
import type { LogSink } from '../../engine/types.js';
import { RecursionControl, type InvocationSource } from './recursion.js';
import { recursionRoutes } from './api-recursion.js';
import { createDurable } from './durable/index.js';

export type { InvokeInput, LambdaInvoker, Resolved } from './invoker.js';
export type { UrlConfig, UrlCors, UrlRegistry } from './urls.js';
export { UrlCorsShape } from './urls.js';
export { MAX_SYNC_PAYLOAD } from './api-invoke.js';
export { parseFunctionRef, type FunctionRef } from './arn.js';
export type { PolicyDocument, PolicyStatement } from './policies.js';
export type { SourceFacts } from './source-permission.js';
export type { InvocationSource } from './recursion.js';
export { EXECUTION_SESSION_SECONDS, ExecutionRoles } from './roles.js';

export interface LambdaDeps {
  /** The node's data plane: environments, admission, the Runtime API. */
  readonly engine: Engine;
  /** Execution roles: whether a function's role exists and trusts Lambda (enforce mode's CreateFunction check). */
  readonly iam: IamApi;
  /** Destinations, dead-letter queues and SQS event source mappings. */
  readonly queues: SqsApi;
  /** Destinations and dead-letter targets that are SNS topics. */
  readonly sns: SnsApi;
  /** Async invoke destinations that are EventBridge buses. */
  readonly events: EventsApi;
  /** The container registry that image functions are resolved and unpacked through (absent: no image functions). */
  readonly images?: EcrApi;
  /** Environment variables are sealed at rest under the function's KMS key (or alias/aws/lambda). */
  readonly kms: KmsApi;
  /** Sharded streams that event source mappings read (Kinesis, DynamoDB Streams); none when absent. */
  readonly streams?: readonly ShardStreamSource[];
  /** Code signing: the signatures of deployed packages are checked through Signer (absent: every package is unsigned). */
  readonly signer?: SignerApi;
  /** Function log groups (recursive loop detection notes the invocations it stops there). */
  readonly logs?: LogSink;
}

/** The Lambda module API. */
export interface LambdaApi {
  /** How other services invoke functions: the same resolution and admission as the Invoke API. */
  readonly invoker: LambdaInvoker;
  /** Function URL configurations (the front door in services/gateway reads them). */
  readonly urls: UrlRegistry;
  /** Accepts an async (Event) invocation durably, as the Invoke API does with a 202 (schedules, destinations). */
  enqueueAsync(region: string, functionName: string, qualifier: string | undefined, payload: Buffer, trace?: { header?: string; source: InvocationSource }): Promise<void>;
  /**
   * The resource-based policy (AddPermission's statements) of a function (qualifier undefined or `$LATEST`), a
   * version or an alias, as GetPolicy shows it; undefined when there is none. Sources record and check with it.
   */
  policyFor(region: string, functionName: string, qualifier?: string): PolicyDocument | undefined;
  /**
   * Whether the function's resource-based policy (of the version or alias the ARN names) allows the service principal
   * (`s3.amazonaws.com`, `sns.amazonaws.com`, `events.amazonaws.com`) lambda:InvokeFunction from that source.
   * `functionArn` is a function ARN or name, qualified or not; false for a malformed one.
   */
  allowsService(region: string, functionArn: string, principal: string, facts: SourceFacts): boolean;
}

export const lambdaService: ServiceModule<LambdaDeps, LambdaApi> = {
  name: 'lambda',
  async create(ctx) {
    const { store, clock, deps } = ctx;
    const accountId = ctx.config.accountId;
    // Where failures of background work are reported.
    const onError = (e: unknown): void => ctx.log(`selfless: ${e instanceof Error ? e.message : String(e)}`);
    // Other nodes share the store: caches follow their writes through the notifier, work goes by claims and leases.
    const shared = store.kind === 'postgres';
    const registry = new FunctionRegistry(store, clock, accountId, ctx.notifier, onError);
    const envCrypto = new EnvCrypto(ctx.deps.kms);
    registry.envCrypto = envCrypto;
    await registry.load();
    const codeSigning = new CodeSigning(store, clock, accountId, deps.signer, ctx.log);
    await codeSigning.init();
    const layers = new LayerRegistry(store, clock, accountId, ctx.notifier, onError);
    await layers.load();
    registry.layers = (arns, unzipped, current) => layers.resolve(arns, unzipped, current);
    registry.layersCodeSize = (region) => layers.totalCodeSize(region);
    layers.signatureOf = (zip) => codeSigning.signatureFacts(zip);
    registry.checkLayers = (region, name, arns, configArn) =>
      codeSigning.checkLayers(region, name, arns.map((arn) => ({ arn, zip: () => layers.archive(arn) })), configArn);
    const images = deps.images ? new ImagePackages(deps.images, () => deps.engine.isolation) : undefined;
    registry.images = images;
    registry.checkCode = (region, name, zip, configArn) => codeSigning.check(region, name, zip, configArn);
    const runtimeManagement = new RuntimeManagementConfigs(store);
    await runtimeManagement.init();
    const roles = new ExecutionRoles({ iam: deps.iam, mode: ctx.config.authMode, rootKey: ctx.config.rootKey, log: ctx.log });
    registry.checkRole = (role) => roles.check(role);
    // A runtime without its interpreter here, or arm64 on a host that cannot run it, is refused at configuration time.
    registry.checkPlatform = (runtime, architectures) => {
      const why = deps.engine.platform.refusal(runtime, architectures);
      if (why) throw new AwsError('InvalidParameterValueException', why);
    };
    const urls = new UrlRegistry(store, clock, ctx.notifier, onError);
    await urls.load();
    const urlTargetExists = (region: string, name: string, q: string | undefined): boolean => {
      const fn = registry.list(region).find((f) => f.name === name);
      return fn !== undefined && (q === undefined || q === '$LATEST' || fn.aliases.has(q));
    };
    await urls.prune(urlTargetExists);
    const policies = new PolicyStore(store, ctx.notifier, onError);
    await policies.load();
    const policyTargetExists = (region: string, name: string, q: string): boolean => {
      const fn = registry.list(region).find((f) => f.name === name);
      return fn !== undefined && (fn.versions.has(q) || fn.aliases.has(q));
    };
    await policies.prune(policyTargetExists);
    const concurrency = deps.engine.concurrency;
    // On a shared store, admission also counts cluster-wide (reserved concurrency and the pool hold across nodes).
    const clusterConcurrency = shared ? new ClusterConcurrency(store, clock, ctx.cluster.nodeId, ctx.cluster.membership, onError) : undefined;
    if (clusterConcurrency) {
      await clusterConcurrency.init();
      concurrency.useShared(clusterConcurrency);
    }
    const specs = new SpecCache(
      store.blobs,
      accountId,
      (region, name) => registry.requireFunction(region, { name }).reserved,
      (arns) => layers.optDir(arns),
      images,
      (region, c) => envCrypto.check(region, c),
    );
    concurrency.setReservedTotal(registry.reservedTotal());
    registry.onChange((region, name, scope) => {
      // A deleted function (or alias) takes its URLs with it.
      urls.forget(region, name, (q) => urlTargetExists(region, name, q)).catch((e: unknown) => onError(e));
      specs.forget(region, name);
      concurrency.setReservedTotal(registry.reservedTotal());
      if (scope.retire) deps.engine.retire(`${specPrefix(region, name)}${scope.version !== undefined ? `${scope.version}/` : ''}`);
      // A new or changed function's first invoke should find a runtime of its kind already started.
      const config = scope.deleted ? undefined : registry.find(region, name)?.versions.get(scope.version ?? '$LATEST');
      if (config?.Runtime && config.PackageType !== 'Image') deps.engine.expect(config.Runtime, config.MemorySize);
      if (scope.retire && scope.version !== '$LATEST') {
        provisioned.forget(region, name, scope.version).catch((e: unknown) => onError(e));
      }
      // Deleting a function removes its event invoke configs and its pending async events; deleting a version, the
      // version's config. Its event source mappings stay (as on AWS) and wait for a function of that name.
      // A deleted function, version or alias takes its policy with it.
      if (scope.deleted) policies.forget(region, name, scope.version).catch((e: unknown) => onError(e));
      if (scope.alias?.deleted) policies.forget(region, name, scope.alias.name).catch((e: unknown) => onError(e));
      if (scope.deleted) {
        runtimeManagement.forget(region, name, scope.version).catch((e: unknown) => onError(e));
        if (scope.version === undefined) codeSigning.detach(region, name).catch((e: unknown) => onError(e));
        eventConfigs.delete(region, name, scope.version).catch((e: unknown) => onError(e));
        if (scope.version === undefined) asyncWorker.forget(region, name);
        if (scope.version === undefined) recursion.forget(region, name).catch((e: unknown) => onError(e));
      }
      // Provisioned concurrency on an alias follows the alias to its new version, or goes with it.
      if (scope.alias) provisioned.aliasChanged(region, name, scope.alias.name, scope.alias.deleted).catch((e: unknown) => onError(e));
    });
    const provisioned = new ProvisionedConcurrency(store, clock, registry, specs, deps.engine, shared ? { notifier: ctx.notifier, leases: ctx.cluster.leases } : undefined, onError);
    const recursion = new RecursionControl(store, clock, deps.logs, ctx.notifier, onError);
    await recursion.load();
    const invoker = createInvoker({
      registry,
      specs,
      engine: deps.engine,
      recursion,
    });
    const eventConfigs = new EventInvokeConfigs(store, clock, ctx.notifier, onError);
    await eventConfigs.load();
    const asyncWorker = new AsyncWorker({
      clock,
      store,
      invoker,
      accountId,
      queues: deps.queues,
      sns: deps.sns,
      events: deps.events,
      retryDelaySeconds: ctx.config.asyncRetryDelaySeconds ?? 60,
      perFunctionConcurrency: ctx.config.asyncConcurrency ?? 32,
      log: (m) => onError(new Error(m)),
      work: ctx.cluster.work,
      shared,
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
    const mappings = new EventSourceMappings({
      store,
      clock,
      accountId,
      invoker,
      recursion,
      queues: deps.queues,
      sns: deps.sns,
      streams: deps.streams ?? [],
      notifier: ctx.notifier,
      log: (m) => onError(new Error(m)),
      ...(shared ? { cluster: { notifier: ctx.notifier, leases: ctx.cluster.leases, membership: ctx.cluster.membership } } : {}),
    });
    await mappings.load();
    // Durable functions: executions, checkpoints and their driver (durable/).
    const durable = await createDurable({ store, work: ctx.cluster.work, clock, notifier: ctx.notifier, invoker, accountId, shared, log: (m) => onError(new Error(m)) });
    const rest: RestRoute[] = [
      ...functionRoutes({
        registry,
        accountSettings: () => ({ ConcurrentExecutions: concurrency.accountLimit, UnreservedConcurrentExecutions: concurrency.unreservedLimit }),
        getFunctionExtras: (region, name) => {
          const reserved = registry.requireFunction(region, { name }).reserved;
          return reserved !== undefined ? { Concurrency: { ReservedConcurrentExecutions: reserved } } : {};
        },
        mappingTags: (region, id) => {
          const m = mappings.get(id);
          return m && m.region === region ? { tags: m.tags ?? {}, setTags: (tags) => mappings.setTags(m, tags) } : undefined;
        },
        attachCodeSigning: (region, name, arn) => codeSigning.attach(region, name, arn),
        cscTags: (region, arn) => codeSigning.tags(region, arn),
      }),
      ...codeSigningRoutes(registry, codeSigning),
      ...runtimeManagementRoutes(registry, runtimeManagement),
      ...managedInstancesRoutes(registry),
      ...versionRoutes(registry),
      ...concurrencyRoutes(registry, concurrency, provisioned),
      ...layerRoutes(layers),
      ...streamRoutes({ invoker }),
      ...urlRoutes(registry, urls),
      ...policyRoutes(registry, policies),
      ...invokeRoutes({
        invoker,
        enqueueEvent: (req, ref, payload) => asyncWorker.enqueue(ref.region, ref.name, ref.qualifier, payload, req.requestId, { header: req.header('x-amzn-trace-id'), source: 'lambda' }),
        durable: (req, type, resolved, payload) => durable.invoke(req, type, resolved, payload),
      }),
      ...recursionRoutes(registry, recursion),
      ...durable.routes,
      ...asyncRoutes({ invoker, configs: eventConfigs, accountId, enqueue: (...a) => asyncWorker.enqueue(...a) }),
      ...esmRoutes({ mappings, invoker, queues: deps.queues, clock, accountId }),
    ];
    // On a shared store a request naming a function this node has not cached reads it first (created elsewhere).
    const routes: ServiceRoutes = {
      restModel: 'lambda',
      rest: shared
        ? rest.map((r) => ({
            ...r,
            handler: async (req) => {
              const raw = req.params['FunctionName'];
              if (raw !== undefined) {
                let name: string | undefined;
                try {
                  name = parseFunctionRef(raw).name;
                } catch {
                  /* the handler answers the malformed name */
                }
                if (name !== undefined) await registry.ensure(req.region, name);
              }
              return r.handler(req);
            },
          }))
        : rest,
    };
    await provisioned.load();
    const sourcePermissions = new SourcePermissions(accountId, () => clock.now());
    return {
      routes,
      api: {
        invoker,
        urls,
        enqueueAsync: (region, name, qualifier, payload, trace) => asyncWorker.enqueue(region, name, qualifier, payload, undefined, trace),
        policyFor: (region, name, qualifier) => {
          const statements = policies.get(region, name, qualifier ?? '$LATEST');
          return statements ? documentOf(statements) : undefined;
        },
        allowsService: (region, functionArn, principal, facts) => {
          let ref;
          try {
            ref = parseFunctionRef(functionArn);
          } catch {
            return false;
          }
          const r = ref.region ?? region;
          const statements = policies.get(r, ref.name, ref.qualifier ?? '$LATEST');
          const resource = `arn:aws:lambda:${r}:${accountId}:function:${ref.name}${ref.qualifier ? `:${ref.qualifier}` : ''}`;
          return sourcePermissions.allows(statements ? documentOf(statements) : undefined, resource, principal, facts);
        },
      },
      // Needs the running engine: provisioned concurrency after a restart, queued async events, mappings' pollers.
      start: async () => {
        provisioned.resume();
        asyncWorker.start();
        mappings.start();
        durable.start();
        clusterConcurrency?.start();
      },
      // Stops the pollers and the async worker, and flushes the worker's writes.
      stop: async () => {
        provisioned.stop();
        await mappings.stop();
        await durable.stop();
        await asyncWorker.stop();
        await clusterConcurrency?.stop();
        for (const c of [registry, layers, urls, policies, eventConfigs, recursion]) c.close();
      },
    };
  },
};
