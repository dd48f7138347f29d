// The composition root: builds the store and the node's ordered list of services (and the engine), the HTTP
// server in front of them, and tears them down in reverse.
import { access, constants, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HttpLimits } from './server/limits.js';
import { Engine } from './engine/engine.js';
import { resolveInterpreters } from './engine/interpreters.js';
import { resolvePython, SDK_NODE_MODULES, usePython } from './engine/launch.js';
import { Platform } from './engine/platform.js';
import { setRuntimeFallback } from './engine/fallback.js';
import { chooseLauncher, SandboxUnavailable, type IsolationChoice } from './engine/sandbox/detect.js';
import { systemClock, type Clock } from './lib/clock.js';
import { HttpServer } from './server/http.js';
import { chainSources, rootSource, type AuthMode, type Authorizer, type CredentialSource, type RootKey } from './server/auth.js';
import { healthRoutes } from './server/health.js';
import { entry, ServiceSet, StartupError, type NodeConfig, type ServiceModule } from './server/service.js';
import { gatewayService } from './services/gateway/index.js';
import { ExecutionRoles, lambdaService } from './services/lambda/index.js';
import { logsService, type LogsApi } from './services/logs/index.js';
import { snsDeliveryService, snsService } from './services/sns/index.js';
import { sqsService, type SqsApi } from './services/sqs/index.js';
import { eventSchedulerService, eventsDeliveryService, eventsService } from './services/events/index.js';
import { pipesService } from './services/pipes/index.js';
import { kinesisService } from './services/kinesis/index.js';
import { statesService } from './services/states/index.js';
import { s3Service } from './services/s3/index.js';
import { ecrService } from './services/ecr/index.js';
import { clusterService } from './services/cluster/index.js';
import { kmsService } from './services/kms/index.js';
import { ssmService } from './services/ssm/index.js';
import { secretsManagerService } from './services/secretsmanager/index.js';
import { cloudformationService } from './services/cloudformation/index.js';
import { dynamodbService } from './services/dynamodb/index.js';
import { AUDIT_LOG_GROUP, type IamApi, iamService, policyAuthorizer, type ResourcePolicyAnswer } from './services/iam/index.js';
import { stsService } from './services/sts/index.js';
import { signerJobsService, signerService } from './services/signer/index.js';
import { coordination, lockDataDir, nodeIdentity, openStore, StoreOpenError, type OpenedStore } from './store/index.js';

export { StartupError } from './server/service.js';

export interface AppOptions {
  host: string;
  port: number;
  dataDir: string;
  accountId: string;
  defaultRegion: string;
  /** `dev` (loopback default) or `enforce`, and the account root's key (cli/auth-options.ts decides both). */
  auth: { mode: AuthMode; rootKey: RootKey };
  idleTimeoutMs: number;
  prestartPerKey: number;
  accountConcurrency: number;
  /** Base delay of async retries after function errors (AWS: 60 s, then twice that). */
  asyncRetryDelaySeconds?: number;
  /** Async events of one function in flight at once. */
  asyncConcurrency?: number;
  /** sandbox | process | auto (the sandbox where this machine supports it). */
  isolation?: IsolationChoice;
  /** The interpreter map and architecture rules (cli/runtimes.ts parses the flags). */
  runtimes?: NodeConfig['runtimes'];
  /** A JSON file of gateway APIs (`{"apis": {"<id>": {…}}}`) put into the route table at start. */
  gatewayConfig?: string;
  /** The KMS node master key file (default `<data>/kms-master.key`). */
  kmsMasterKeyFile?: string;
  /** `postgres://…`: the shared store of a cluster; absent: the embedded SQLite store in dataDir. */
  store?: string;
  /** How often this node beats and how long its claims and leases last without a beat (ms; tests shorten them). */
  heartbeatMs?: number;
  leaseMs?: number;
  clock?: Clock;
  /** Where unexpected internal errors are reported. */
  log?: (msg: string) => void;
  /** The HTTP listener's timeouts against slow and idle clients (default: DEFAULT_LIMITS of server/limits.ts). */
  httpLimits?: HttpLimits;
}

export interface App {
  url: string;
  /** The SQS module API (queues by ARN) for services built on queues. */
  queues: SqsApi;
  stop(): Promise<void>;
}

/**
 * The engine is not a service (it serves no API and lives in src/engine); it is in the list so that it is created
 * after the log store it writes function output to, started before Lambda drives it, and stopped after Lambda.
 * It owns the launcher (the sandbox or plain processes) that it runs environments with.
 */
const engineModule: ServiceModule<{ logs: LogsApi; iam: IamApi }, Engine> = {
  name: 'engine',
  async create(ctx) {
    const c = ctx.config;
    const rt = c.runtimes ?? { map: {}, discover: true, fallback: false, arm64: 'refuse' as const };
    // Resolved once: every cold start uses the executables found here (never a pyenv shim per start).
    const interpreters = await resolveInterpreters({ dataDir: c.dataDir, configured: { ...rt.map }, discover: rt.discover, fallback: rt.fallback });
    const platform = new Platform({ interpreters, arm64: rt.arm64 });
    // Java and Ruby check their interpreters themselves (src/engine/java.ts, ruby.ts) and follow the same choice.
    if (rt.fallback) setRuntimeFallback(true);
    // The sandbox's mount helper needs a python3 of 3.9 or later: the first the map found will do.
    const helperPython = interpreters.found.find((i) => i.family === 'python' && /^3\.(9|[1-9]\d)\./.test(i.version));
    if (helperPython) usePython(helperPython.path);
    let chosen;
    try {
      chosen = await chooseLauncher(c.isolation, c.dataDir, await resolvePython(), interpreters.executables(), SDK_NODE_MODULES ? [SDK_NODE_MODULES] : []);
    } catch (e) {
      if (e instanceof SandboxUnavailable) throw new StartupError(e.message);
      throw e;
    }
    const launcher = chosen.launcher;
    if (chosen.warning) ctx.log(chosen.warning);
    if (chosen.notice) ctx.log(chosen.notice);
    const roles = new ExecutionRoles({ iam: ctx.deps.iam, mode: c.authMode, rootKey: c.rootKey, log: ctx.log });
    const engine = new Engine({
      clock: ctx.clock,
      launcher,
      dataDir: c.dataDir,
      logs: ctx.deps.logs,
      endpointUrl: () => c.endpointUrl(),
      // Environments call back as their function's execution role (Lambda's rule, including dev mode's fallback).
      credentialsFor: (spec) => roles.credentialsFor(spec),
      platform,
      idleTimeoutMs: c.idleTimeoutMs,
      prestartPerKey: c.prestartPerKey,
      accountConcurrency: c.accountConcurrency,
    });
    return {
      routes: {},
      api: engine,
      start: () => engine.start(),
      stop: async () => {
        await engine.close();
        await launcher.close?.();
      },
    };
  },
};

/**
 * The node's services, in creation and start order (stopped in reverse): each comes after what it uses.
 * logs first (the engine writes to it); SQS before Lambda (async destinations, DLQs, event source mappings); the
 * engine before Lambda; EventBridge's intake before Lambda (destinations to a bus) and its delivery after the
 * services it delivers to; then the services built on Lambda and SQS.
 */
const SERVICES = [
  // IAM first: the credentials and policies every request is checked against, and the roles other services use.
  entry(iamService, () => ({})),
  entry(stsService, (use) => ({ iam: use(iamService) })),
  entry(logsService, () => ({})),
  entry(sqsService, () => ({})),
  entry(kmsService, () => ({})),
  entry(ssmService, (use) => ({ kms: use(kmsService) })),
  entry(signerService, (use) => ({ kms: use(kmsService) })),
  entry(engineModule, (use) => ({ logs: use(logsService), iam: use(iamService) })),
  entry(snsService, () => ({})),
  entry(eventsService, () => ({})),
  entry(kinesisService, () => ({})),
  entry(dynamodbService, () => ({})),
  // The container registry before Lambda: image functions are resolved and unpacked through it.
  entry(ecrService, () => ({})),
  entry(lambdaService, (use) => ({ engine: use(engineModule), images: use(ecrService), iam: use(iamService), kms: use(kmsService), queues: use(sqsService), sns: use(snsService), events: use(eventsService), streams: [use(kinesisService).streams, use(dynamodbService).streams], logs: use(logsService), signer: use(signerService) })),
  // Secrets Manager after Lambda: rotation invokes the secret's rotation function.
  entry(secretsManagerService, (use) => ({ kms: use(kmsService), lambda: use(lambdaService) })),
  entry(gatewayService, (use) => ({ lambda: use(lambdaService) })),
  entry(statesService, (use) => ({ lambda: use(lambdaService), queues: use(sqsService), events: use(eventsService) })),
  entry(snsDeliveryService, (use) => ({ sns: use(snsService), lambda: use(lambdaService), queues: use(sqsService) })),
  entry(eventsDeliveryService, (use) => ({ events: use(eventsService), lambda: use(lambdaService), queues: use(sqsService), states: use(statesService), sns: use(snsService) })),
  entry(pipesService, (use) => ({ queues: use(sqsService), lambda: use(lambdaService), sns: use(snsService), events: use(eventsService), states: use(statesService) })),
  entry(eventSchedulerService, (use) => ({ lambda: use(lambdaService), queues: use(sqsService), states: use(statesService), sns: use(snsService), events: use(eventsService) })),
  // S3 notifications go to Lambda's async path, queues, topics and (with EventBridge enabled) the default bus.
  entry(s3Service, (use) => ({ lambda: use(lambdaService), queues: use(sqsService), sns: use(snsService), events: use(eventsService), blobHolders: [use(ecrService)] })),
  // Signing jobs read their source from S3 and write the signed package to it.
  entry(signerJobsService, (use) => ({ signer: use(signerService), s3: use(s3Service) })),
  // CloudFormation last (before cluster): its resources are the other services'.
  entry(cloudformationService, (use) => ({ ssm: use(ssmService), secrets: use(secretsManagerService) })),
  entry(clusterService, (use) => ({ engine: use(engineModule) })),
];

/**
 * Policies as AWS evaluates them: the caller's identity policies (IAM) and the resource's own policy (a function's
 * AddPermission statements, a queue's or topic's Policy attribute, a bucket's policy). In dev mode a denial is only logged, so that a user sees
 * what would fail on AWS; in enforce mode it is the answer.
 */
function authorizerOf(services: ServiceSet, mode: AuthMode, clock: Clock, log: (m: string) => void): Authorizer {
  const lambda = services.api(lambdaService);
  const queues = services.api(sqsService);
  const topics = services.api(snsService);
  const buckets = services.api(s3Service);
  const logs = services.api(logsService);
  const secrets = services.api(secretsManagerService);
  const kms = services.api(kmsService);
  const resourcePolicy = async (arn: string): Promise<ResourcePolicyAnswer> => {
    const p = arn.split(':');
    if (p[2] === 'lambda' && p[5] === 'function' && p[6]) {
      const doc = lambda.policyFor(p[3] ?? '', p[6], p[7]);
      return doc ? JSON.stringify(doc) : undefined;
    }
    if (p[2] === 'sqs' && p.length === 6) return queues.queue(arn)?.policy;
    if (p[2] === 'sns' && p.length === 6) return topics.topicPolicy(arn);
    // arn:aws:s3:::bucket or arn:aws:s3:::bucket/key: the bucket's policy speaks for both.
    if (p[2] === 's3' && p[5]) return buckets.bucketPolicy(p[5].split('/')[0] ?? '');
    if (p[2] === 'secretsmanager' && p[5] === 'secret') return secrets.resourcePolicy(arn);
    // A key policy must allow, also within the key's account (directly, or by naming the account, which delegates to IAM).
    if (p[2] === 'kms' && p[5]) {
      const policy = await kms.keyPolicy(arn);
      return policy === undefined ? undefined : { policy, mustAllow: true };
    }
    return undefined;
  };
  const authz = policyAuthorizer({
    policiesFor: (caller) => services.api(iamService).policiesFor(caller),
    resourcePolicy,
    now: () => clock.now(),
    onDecision: (d) => {
      if (d.decision === 'deny') log(`selfless: ${mode === 'enforce' ? 'denied' : 'would deny (dev mode allows)'}: ${d.reason ?? ''}`);
      // The audit trail (`selfless audit --follow`): one line per decision, in the log store like a function's output.
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      logs.append(d.region, AUDIT_LOG_GROUP, `${day}/${mode}`, [{ timestamp: clock.now(), message: JSON.stringify({ mode, ...d }) }]);
    },
  });
  if (mode === 'enforce') return authz;
  return {
    async authorize(caller, op) {
      if (caller.kind !== 'root') await authz.authorize(caller, op);
      return 'allow' as const;
    },
  };
}

export async function startApp(o: AppOptions): Promise<App> {
  const clock = o.clock ?? systemClock;
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const dataDir = resolve(o.dataDir);
  try {
    await mkdir(dataDir, { recursive: true });
    await access(dataDir, constants.W_OK);
  } catch (e) {
    throw new StartupError(`data directory ${dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? 'error'}); choose another with --data or SELFLESS_DATA`);
  }
  let opened: OpenedStore;
  let unlock: () => Promise<void>;
  try {
    unlock = await lockDataDir(dataDir);
  } catch (e) {
    throw e instanceof StoreOpenError ? new StartupError(e.message) : e;
  }
  try {
    opened = await openStore(o.store, dataDir);
  } catch (e) {
    await unlock();
    throw e instanceof StoreOpenError ? new StartupError(e.message) : e;
  }
  // The store's group-commit journal carries the hot durable writes (SQS messages, async events, log lines, claims):
  // on SQLite one writer thread and one connection, so they never wait on each other's write lock, and the fsyncs
  // stay off the event loop.
  const { store, notifier } = opened;
  const journal = store.journal;
  const logStopFailure = (e: unknown): void => log(`selfless: error while stopping after a failed start: ${e instanceof Error ? e.message : String(e)}`);
  const closeStore = async (): Promise<void> => {
    await opened.close();
    await unlock();
  };
  let cluster;
  try {
    cluster = await coordination({ store, notifier, clock, nodeId: await nodeIdentity(dataDir), heartbeatMs: o.heartbeatMs, leaseMs: o.leaseMs, onError: (e) => log(`selfless: cluster heartbeat failed: ${e instanceof Error ? e.message : String(e)}`) });
    // This data dir's node id owned them in its previous life; that process is gone (the data dir lock says so), so
    // what it had claimed or leased is free now, for any node, this one included.
    await cluster.work.releaseAll();
    await cluster.leases.releaseAll();
  } catch (e) {
    await closeStore();
    throw e instanceof StoreOpenError ? new StartupError(e.message) : e;
  }
  let url = `http://${o.host}:${o.port}`;
  const config: NodeConfig = {
    accountId: o.accountId,
    defaultRegion: o.defaultRegion,
    dataDir,
    rootKey: o.auth.rootKey,
    authMode: o.auth.mode,
    endpointUrl: () => url,
    idleTimeoutMs: o.idleTimeoutMs,
    prestartPerKey: o.prestartPerKey,
    accountConcurrency: o.accountConcurrency,
    isolation: o.isolation ?? 'auto',
    asyncRetryDelaySeconds: o.asyncRetryDelaySeconds,
    asyncConcurrency: o.asyncConcurrency,
    gatewayConfig: o.gatewayConfig,
    ...(o.runtimes ? { runtimes: o.runtimes } : {}),
    kmsMasterKeyFile: o.kmsMasterKeyFile ? resolve(o.kmsMasterKeyFile) : undefined,
  };
  let services: ServiceSet;
  try {
    services = await ServiceSet.create(SERVICES, { store, journal, clock, notifier, config, log, cluster: { nodeId: cluster.membership.id, ...cluster } });
  } catch (e) {
    await closeStore();
    throw e instanceof StoreOpenError ? new StartupError(e.message) : e;
  }
  const onInternalError = (e: unknown, where: string): void => log(`selfless: internal error in ${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  // Who can sign: the root key first, then the other sources in order.
  // Then IAM's access keys and STS's sessions (both answered by IAM's credential source, read through to the store).
  const credentials: CredentialSource[] = [rootSource(o.auth.rootKey, o.accountId), services.api(iamService).credentials];
  const http = new HttpServer({
    accountId: o.accountId,
    defaultRegion: o.defaultRegion,
    auth: { mode: o.auth.mode, credentials: chainSources(credentials), authorizer: authorizerOf(services, o.auth.mode, clock, log), ...(o.clock ? { now: () => clock.now() } : {}) },
    // Raw front doors (the gateway's) are tried before AWS protocol routing whatever the order here.
    services: [...services.routes(), healthRoutes(() => services.states())],
    onInternalError,
    limits: o.httpLimits,
  });
  try {
    const addr = await http.listen(o.port, o.host);
    url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`;
  } catch (e) {
    await services.stop().catch(logStopFailure);
    await closeStore();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${o.port} on ${o.host} is already in use; choose another with --port or SELFLESS_PORT`);
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on ${o.host}:${o.port}; choose a port above 1023 with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new StartupError(`cannot listen on host ${o.host}: no such local address`);
    throw e;
  }
  const teardown = async (): Promise<void> => {
    // Long polls end first, so that the server can drain; then the services stop, in reverse order. Then the node
    // hands its claims and leases back and leaves the cluster, so that other nodes take its work over at once.
    services.beforeHttpClose();
    await http.close();
    await services.stop();
    await cluster.work.releaseAll().catch(logStopFailure);
    await cluster.leases.releaseAll().catch(logStopFailure);
    await cluster.membership.stop().catch(logStopFailure);
    await closeStore();
  };
  try {
    await services.start();
    await cluster.membership.start(url);
  } catch (e) {
    await teardown().catch(logStopFailure);
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    url,
    queues: services.api(sqsService),
    stop: () => (stopping ??= teardown()),
  };
}
