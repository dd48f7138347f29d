// The composition root: builds the store, services, engine and the HTTP server for one node, and tears them down.
import { access, constants, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Engine } from './engine/engine.js';
import { resolvePython } from './engine/launch.js';
import { chooseLauncher, SandboxUnavailable, type IsolationChoice } from './engine/sandbox/detect.js';
import type { Launcher } from './engine/sandbox/launcher.js';
import { systemClock, type Clock } from './lib/clock.js';
import { HttpServer } from './server/http.js';
import { loadGatewayConfig } from './services/gateway/config.js';
import { createGateway } from './services/gateway/index.js';
import { createLambdaService } from './services/lambda/index.js';
import { logsRoutes } from './services/logs/api.js';
import type { QueueBroker } from './services/sqs/broker.js';
import { createSqsService } from './services/sqs/index.js';
import { createSchedulerService } from './services/scheduler/index.js';
import { createStatesService } from './services/states/index.js';
import { LogStore } from './services/logs/store.js';
import { Journal } from './store/journal.js';
import { SqliteStore } from './store/sqlite.js';

export interface AppOptions {
  host: string;
  port: number;
  dataDir: string;
  accountId: string;
  defaultRegion: string;
  idleTimeoutMs: number;
  prestartPerKey: number;
  accountConcurrency: number;
  /** Base delay of async retries after function errors (AWS: 60 s, then twice that). */
  asyncRetryDelaySeconds?: number;
  /** Async events of one function in flight at once. */
  asyncConcurrency?: number;
  /** sandbox | process | auto (the sandbox where this machine supports it). */
  isolation?: IsolationChoice;
  /** A JSON file of gateway APIs (`{"apis": {"<id>": {…}}}`) put into the route table at start. */
  gatewayConfig?: string;
  clock?: Clock;
  /** Where unexpected internal errors are reported. */
  log?: (msg: string) => void;
}

/** A failure to start that deserves one clear line, not a stack trace. */
export class StartupError extends Error {}

export interface App {
  url: string;
  /** The SQS module API (queues by ARN) for services built on queues. */
  queues: QueueBroker;
  stop(): Promise<void>;
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
  let store: SqliteStore;
  try {
    store = new SqliteStore(dataDir);
  } catch (e) {
    throw new StartupError(`cannot open the database in ${dataDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let launcher: Launcher;
  try {
    const chosen = await chooseLauncher(o.isolation ?? 'auto', dataDir, await resolvePython());
    launcher = chosen.launcher;
    if (chosen.warning) log(chosen.warning);
    if (chosen.notice) log(chosen.notice);
  } catch (e) {
    await store.close();
    if (e instanceof SandboxUnavailable) throw new StartupError(e.message);
    throw e;
  }
  // One group-commit journal for the hot durable writes (SQS messages, async events, log lines): one writer thread
  // and one connection, so they never wait on each other's write lock, and the fsyncs stay off the event loop.
  const journal = new Journal(store, (e) => log(`selfless: journal write failed: ${e instanceof Error ? e.message : String(e)}`), join(dataDir, 'selfless.db'));
  const logs = new LogStore(store, clock, journal);
  await logs.init();
  let url = `http://${o.host}:${o.port}`;
  const engine = new Engine({
    clock,
    launcher,
    dataDir,
    logs,
    endpointUrl: () => url,
    idleTimeoutMs: o.idleTimeoutMs,
    prestartPerKey: o.prestartPerKey,
    accountConcurrency: o.accountConcurrency,
  });
  const lambda = await createLambdaService({ store, clock, engine, accountId: o.accountId, asyncRetryDelaySeconds: o.asyncRetryDelaySeconds, asyncConcurrency: o.asyncConcurrency, journal, onError: (e) => log(`selfless: ${e instanceof Error ? e.message : String(e)}`) });
  const sqs = await createSqsService({ store, clock, accountId: o.accountId, endpointUrl: () => url, log, journal });
  lambda.attachQueues(sqs.broker);
  const scheduler = await createSchedulerService({
    store,
    clock,
    accountId: o.accountId,
    invokeAsync: (region, name, qualifier, payload) => lambda.async.enqueue(region, name, qualifier, payload),
    queues: () => sqs.broker,
    log,
  });
  const onInternalError = (e: unknown, where: string): void => log(`selfless: internal error in ${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  const gateway = await createGateway({ store, clock, accountId: o.accountId, invoker: lambda.invoker, urls: lambda.urls, onInternalError });
  if (o.gatewayConfig) {
    try {
      await loadGatewayConfig(gateway.table, o.gatewayConfig, o.defaultRegion);
    } catch (e) {
      await sqs.close();
      await journal.close();
      await store.close();
      throw new StartupError(e instanceof Error ? e.message : String(e));
    }
  }
  const states = await createStatesService({ store, clock, lambda: lambda.invoker, queues: sqs.broker, accountId: o.accountId });
  const http = new HttpServer({
    accountId: o.accountId,
    defaultRegion: o.defaultRegion,
    // The gateway's raw front doors come first: they claim requests by host or path before AWS protocol routing.
    services: [gateway.routes, lambda.routes, logsRoutes(store, logs, clock, o.accountId), sqs.routes, states.routes, scheduler.routes],
    onInternalError,
  });
  try {
    const addr = await http.listen(o.port, o.host);
    url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`;
  } catch (e) {
    scheduler.stop();
    await states.close();
    await lambda.close();
    await sqs.close();
    await journal.close();
    await store.close();
    await launcher.close?.();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new StartupError(`port ${o.port} on ${o.host} is already in use; choose another with --port or SELFLESS_PORT`);
    if (code === 'EACCES') throw new StartupError(`not allowed to listen on ${o.host}:${o.port}; choose a port above 1023 with --port`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new StartupError(`cannot listen on host ${o.host}: no such local address`);
    throw e;
  }
  await engine.start();
  lambda.resume();
  scheduler.start();
  let stopping: Promise<void> | undefined;
  return {
    url,
    queues: sqs.broker,
    stop: () =>
      (stopping ??= (async () => {
        sqs.release();
        await http.close();
        scheduler.stop();
        await states.close();
        await lambda.close();
        await engine.close();
        await launcher.close?.();
        await sqs.close();
        await logs.close();
        await journal.close();
        await store.close();
      })()),
  };
}
