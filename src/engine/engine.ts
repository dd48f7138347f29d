// The invoke path: admission, take a warm environment or cold-start one, run the invocation, log and release.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { AwsError } from '../lib/errors.js';
import { hex } from '../lib/ids.js';
import { Concurrency } from './concurrency.js';
import { errorBody, type Environment, type InitOutcome, type Outcome } from './environment.js';
import { familyOf, functionEnv, type FunctionKey, providedCommand, resolvePython, runtimeCommand } from './launch.js';
import { Pool } from './pool.js';
import { endLine, initReportLine, reportLine, startLine, tail, timeoutSeconds } from './report.js';
import type { Launcher } from './sandbox/launcher.js';
import type { FunctionSpec, InvokeRequest, InvokeResult, LogSink } from './types.js';

export interface EngineOptions {
  clock: Clock;
  launcher: Launcher;
  dataDir: string;
  logs: LogSink;
  /** This selfless's endpoint, given to functions as AWS_ENDPOINT_URL. */
  endpointUrl: () => string;
  /**
   * The key an environment of a function calls back with (AWS_ACCESS_KEY_ID / SECRET / SESSION_TOKEN): its execution
   * role's session, asked for at every environment start (pre-started runtimes when assigned). Lambda decides what
   * it is; the engine imports no service. A rejection fails the start with that error.
   */
  credentialsFor: (spec: FunctionSpec) => Promise<FunctionKey>;
  idleTimeoutMs?: number;
  prestartPerKey?: number;
  accountConcurrency?: number;
}

export const MAX_SYNC_RESPONSE = 6 * 1024 * 1024 + 100;

interface Running {
  spec: FunctionSpec;
  requestId: string;
  /** Lines of the current invocation, kept only when Tail was asked. */
  tail: string[] | undefined;
}

export class Engine {
  readonly pool: Pool;
  readonly concurrency: Concurrency;
  private readonly running = new Map<Environment, Running>();

  constructor(private readonly o: EngineOptions) {
    this.pool = new Pool({
      clock: o.clock,
      launcher: o.launcher,
      dataDir: o.dataDir,
      idleTimeoutMs: o.idleTimeoutMs ?? 10 * 60_000,
      prestartPerKey: o.prestartPerKey ?? 2,
      onLine: (line, env) => this.line(env, line),
    });
    this.concurrency = new Concurrency(o.accountConcurrency ?? 1000);
  }

  async start(): Promise<void> {
    await mkdir(join(this.o.dataDir, 'envs'), { recursive: true });
    await resolvePython();
    this.pool.start();
    this.pool.fill('node', 128);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Destroys idle environments of a function (its configuration changed or it was deleted). */
  retire(keyPrefix: string): void {
    this.pool.retire((k) => k.startsWith(keyPrefix));
  }

  private line(env: Environment, line: string): void {
    const spec = env.spec;
    if (!spec) return;
    const message = line.replace(/\r/g, '\n');
    // Node's own heap cap (process isolation) ends a runtime with this line before it aborts.
    if (message.includes('JavaScript heap out of memory')) env.outOfMemory = true;
    this.o.logs.append(spec.region, spec.logGroup, env.logStream, [{ timestamp: this.o.clock.now(), message }]);
    this.running.get(env)?.tail?.push(message);
  }

  private platformLine(env: Environment, message: string): void {
    this.line(env, message);
  }

  /** Runs one synchronous invocation to completion. Throws AwsError for throttles; function failures are results. */
  async invoke(spec: FunctionSpec, req: InvokeRequest): Promise<InvokeResult> {
    const admitted = req.admitted ? undefined : this.concurrency.admit(spec);
    // A promise only with a cluster-wide counter: the one-node path stays synchronous.
    const release = typeof admitted === 'function' || admitted === undefined ? admitted : await admitted;
    try {
      return await this.run(spec, req);
    } finally {
      release?.();
    }
  }

  private async run(spec: FunctionSpec, req: InvokeRequest): Promise<InvokeResult> {
    let env = this.pool.take(spec.key);
    let initMs: number | undefined;
    const cold = !env;
    // A frozen environment thaws while the event is handed over: it reads the event as soon as it runs again.
    if (env) void env.thaw();
    if (!env) {
      const started = await this.coldStart(spec);
      env = started.env;
      if (!started.init.ok) return this.initFailed(env, spec, req, started.init);
      initMs = started.init.initMs;
    }
    const running: Running = { spec, requestId: req.requestId, tail: req.tail ? [] : undefined };
    this.running.set(env, running);
    this.platformLine(env, startLine(req.requestId, spec.version));
    const t0 = performance.now();
    const outcome = await env.invoke(req, spec.timeout * 1000);
    const durationMs = performance.now() - t0;
    // Output written just before the response may still be in the pipe: give it one turn of the loop.
    await new Promise((r) => setImmediate(r));
    const result = this.toResult(env, spec, req, outcome);
    this.platformLine(env, endLine(req.requestId));
    const maxMem = await env.maxMemoryMB(req.tail || cold);
    this.platformLine(
      env,
      reportLine({
        requestId: req.requestId,
        durationMs: outcome.kind === 'timeout' ? spec.timeout * 1000 : durationMs,
        memorySize: spec.memorySize,
        maxMemoryUsedMB: maxMem,
        initMs,
        status: outcome.kind === 'timeout' ? 'timeout' : outcome.kind === 'exit' ? 'error' : undefined,
        errorType: outcome.kind === 'exit' ? exitErrorType(env) : undefined,
      }),
    );
    this.running.delete(env);
    this.pool.release(env);
    return { ...result, coldStart: cold, logResult: running.tail ? tail(running.tail) : undefined, durationMs };
  }

  private toResult(env: Environment, spec: FunctionSpec, req: InvokeRequest, o: Outcome): Omit<InvokeResult, 'coldStart'> {
    const base = { executedVersion: spec.version, streamed: false };
    switch (o.kind) {
      case 'response':
        if (o.streamError) {
          return { ...base, streamed: o.streamed, payload: Buffer.from(o.streamError.body), functionError: 'Unhandled', contentType: o.contentType, streamError: { errorCode: o.streamError.errorType, errorDetails: o.streamError.body } };
        }
        if (!o.streamed && o.payload.length > MAX_SYNC_RESPONSE) return this.tooLarge(base);
        return { ...base, streamed: o.streamed, payload: o.payload, contentType: o.contentType };
      case 'error':
        return { ...base, payload: o.payload, functionError: 'Unhandled' };
      case 'tooLarge':
        return this.tooLarge(base);
      case 'timeout': {
        const secs = timeoutSeconds(spec.timeout * 1000);
        this.platformLine(env, `${new Date(this.o.clock.now()).toISOString()} ${req.requestId} Task timed out after ${secs} seconds`);
        return { ...base, payload: errorBody('Sandbox.Timedout', `RequestId: ${req.requestId} Error: Task timed out after ${secs} seconds`), functionError: 'Unhandled' };
      }
      case 'exit': {
        const msg = `RequestId: ${req.requestId} Error: Runtime exited with error: ${o.reason}`;
        const type = exitErrorType(env);
        this.platformLine(env, `${msg}\n${type}`);
        return { ...base, payload: errorBody(type, msg), functionError: 'Unhandled' };
      }
    }
  }

  private tooLarge(base: { executedVersion: string; streamed: boolean }): Omit<InvokeResult, 'coldStart'> {
    return {
      ...base,
      payload: errorBody('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${MAX_SYNC_RESPONSE} bytes).`),
      functionError: 'Unhandled',
    };
  }

  private initFailed(env: Environment, spec: FunctionSpec, req: InvokeRequest, init: Extract<InitOutcome, { ok: false }>): InvokeResult {
    const lines: string[] = [];
    const say = (l: string): void => {
      lines.push(l);
      this.platformLine(env, l);
    };
    say(initReportLine(init.initMs, init.errorType));
    say(startLine(req.requestId, spec.version));
    say(endLine(req.requestId));
    say(reportLine({ requestId: req.requestId, durationMs: init.initMs, memorySize: spec.memorySize, maxMemoryUsedMB: 0, status: 'error', errorType: init.errorType }));
    env.destroy();
    return {
      payload: init.payload,
      functionError: 'Unhandled',
      executedVersion: spec.version,
      streamed: false,
      coldStart: true,
      logResult: req.tail ? tail(lines) : undefined,
    };
  }

  /**
   * Provisioned concurrency: initialises one environment ahead of demand (AWS_LAMBDA_INITIALIZATION_TYPE
   * provisioned-concurrency) and parks it idle, exempt from reaping. Resolves with the environment, or the init failure.
   */
  async provision(spec: FunctionSpec): Promise<{ ok: true; env: Environment } | { ok: false; reason: string }> {
    const { env, init } = await this.coldStart(spec, 'provisioned-concurrency');
    if (!init.ok) {
      env.destroy();
      let reason = init.errorType;
      try {
        reason = `${init.errorType}: ${(JSON.parse(init.payload.toString('utf8')) as { errorMessage?: string }).errorMessage ?? ''}`;
      } catch {
        // keep the error type alone
      }
      return { ok: false, reason };
    }
    this.platformLine(env, initReportLine(init.initMs));
    env.provisioned = true;
    this.pool.release(env);
    return { ok: true, env };
  }

  /** Starts (or adopts a pre-started) environment for a spec and runs its Init phase. */
  async coldStart(spec: FunctionSpec, initializationType: 'on-demand' | 'provisioned-concurrency' = 'on-demand'): Promise<{ env: Environment; init: InitOutcome }> {
    const family = familyOf(spec.runtime);
    const logStream = streamName(this.o.clock.now(), spec.version);
    const initTimeoutMs = Math.max(10_000, spec.timeout * 1000);
    // A function without network cannot adopt a runtime started in the shared network namespace.
    const noNetwork = spec.noNetwork ?? spec.environment['SELFLESS_NETWORK'] === 'none';
    // Nor can one that needs a larger /tmp than pre-started sandboxes have (the default 512 MB).
    const sandboxed = this.o.launcher.mode === 'sandbox';
    // Before any environment is taken, so a refused role (or an undecryptable environment) leaves nothing to clean up.
    await spec.prepare?.();
    const key = await this.o.credentialsFor(spec);
    const pre = sandboxed && (noNetwork || spec.ephemeralStorage !== 512) ? undefined : this.pool.takePrestarted(family, spec.memorySize);
    if (pre) {
      try {
        await pre.env.prepare(spec.codeDir, spec.optDir);
      } catch (e) {
        pre.env.destroy();
        throw new AwsError('ServiceException', `Could not prepare the environment: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (pre && family === 'provided') {
      const optDir = spec.optDir ?? pre.optDir;
      const cmd = await providedCommand(spec.codeDir, optDir);
      if (cmd) {
        const paths = this.o.launcher.paths({ codeDir: spec.codeDir, optDir, runtimeDir: cmd.runtimeDir, tmpDir: pre.tmpDir });
        const vars = functionEnv(spec, paths, pre.env.runtimeApi, logStream, this.o.endpointUrl(), initializationType, key);
        pre.env.credentialsExpire = key.expiration;
        const init = pre.env.init(spec, logStream, undefined, initTimeoutMs);
        pre.env.start(cmd.command, cmd.args, vars, { codeDir: spec.codeDir, optDir });
        return { env: pre.env, init: await init };
      }
      // No bootstrap: the plain path below reports it as AWS does.
      pre.env.destroy();
    } else if (pre) {
      const paths = this.o.launcher.paths({ codeDir: spec.codeDir, optDir: spec.optDir ?? pre.optDir, runtimeDir: runtimeCommand(family, spec.memorySize)!.runtimeDir, tmpDir: pre.tmpDir });
      const runtimeApi = pre.env.runtimeApi;
      const env = functionEnv(spec, paths, runtimeApi, logStream, this.o.endpointUrl(), initializationType, key);
      pre.env.credentialsExpire = key.expiration;
      return { env: pre.env, init: await pre.env.init(spec, logStream, env, initTimeoutMs) };
    }
    const created = await this.pool.create();
    const { env, tmpDir, runtimeApi } = created;
    const optDir = spec.optDir ?? created.optDir;
    const cmd = family === 'provided' ? await providedCommand(spec.codeDir, optDir) : runtimeCommand(family, spec.memorySize);
    if (!cmd) {
      const init = env.init(spec, logStream, undefined, initTimeoutMs);
      env.destroy();
      await init;
      return {
        env,
        init: { ok: false, initMs: 0, errorType: 'Runtime.InvalidEntrypoint', payload: errorBody('Runtime.InvalidEntrypoint', 'RequestId: Error: Couldn\'t find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]') },
      };
    }
    const paths = this.o.launcher.paths({ codeDir: spec.codeDir, optDir, runtimeDir: cmd.runtimeDir, tmpDir });
    const vars = functionEnv(spec, paths, runtimeApi, logStream, this.o.endpointUrl(), initializationType, key);
    env.credentialsExpire = key.expiration;
    const init = env.init(spec, logStream, undefined, initTimeoutMs);
    try {
      env.attach(
        await this.o.launcher.launch({
          command: cmd.command,
          args: cmd.args,
          env: vars,
          cwd: paths.task,
          memoryMB: spec.memorySize,
          tmpDir,
          tmpSizeMB: spec.ephemeralStorage,
          codeDir: spec.codeDir,
          optDir,
          runtimeDir: cmd.runtimeDir,
          noNetwork,
          adoptRuntimeApiConnection: (socket) => env.adoptConnection(socket),
        }),
      );
    } catch (e) {
      env.destroy();
      throw new AwsError('ServiceException', `Could not start the runtime: ${e instanceof Error ? e.message : String(e)}`);
    }
    return { env, init: await init };
  }
}

const exitErrorType = (env: Environment): string => (env.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError');

/** `YYYY/MM/DD/[version]<32 hex>`, as AWS names log streams. */
export function streamName(now: number, version: string): string {
  const d = new Date(now).toISOString();
  return `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/[${version}]${hex(16)}`;
}
