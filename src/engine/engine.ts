// The invoke path: admission, take a warm environment or cold-start one, run the invocation, log and release.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { AwsError } from '../lib/errors.js';
import { hex } from '../lib/ids.js';
import { Concurrency } from './concurrency.js';
import { errorBody, type Environment, type InitOutcome, type Outcome } from './environment.js';
import { boto3PathFor } from './interpreters.js';
import { familyOf, functionEnv, type FunctionKey, imageCommand, imageEnv, providedCommand, resolvePython, runtimeCommand, type RuntimeCommand, type RuntimePaths, SDK_NODE_MODULES } from './launch.js';
import { ensureJavaClient, javaFallbackNote } from './java.js';
import { needsFreshProcess, type Platform } from './platform.js';
import { Pool } from './pool.js';
import { rubyCommand, rubyFallbackNote, rubyProblem } from './ruby.js';
import { findExtensions, supervisorCommand } from './extensions/supervisor.js';
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
  /** The interpreter map and architecture rules (which runtimes run here, on what). */
  platform: Platform;
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
  readonly platform: Platform;
  private readonly running = new Map<Environment, Running>();

  /** How environments are isolated (image functions need the sandbox). */
  get isolation(): 'process' | 'sandbox' {
    return this.o.launcher.mode;
  }

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
    this.platform = o.platform;
  }

  async start(): Promise<void> {
    await mkdir(join(this.o.dataDir, 'envs'), { recursive: true });
    await resolvePython();
    this.pool.start();
    // The host's own Node.js line is what most functions run: keep runtimes of it ready.
    const host = this.platform.interpreters.choose(`nodejs${process.versions.node.split('.')[0]}.x`)?.interpreter;
    if (host) this.pool.fill('node', 128, host.path);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * A function of this runtime and memory size was created or changed: keep runtimes of its kind pre-started, so that
   * its first invoke adopts one instead of starting a process.
   */
  expect(runtime: string, memoryMB: number): void {
    const exe = this.platform.interpreters.choose(runtime)?.interpreter?.path;
    this.pool.fill(familyOf(runtime), memoryMB, exe);
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
    let busy: Promise<unknown> | undefined;
    try {
      return await this.run(spec, req, (p) => (busy = p));
    } finally {
      // Extensions still at work after the response keep the environment, and so its concurrency, busy.
      if (busy && release) void busy.finally(release);
      else release?.();
    }
  }

  private async run(spec: FunctionSpec, req: InvokeRequest, stillBusy: (p: Promise<unknown>) => void): Promise<InvokeResult> {
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
    const runtimeMs = performance.now() - t0;
    // Output written just before the response may still be in the pipe: give it one turn of the loop.
    await new Promise((r) => setImmediate(r));
    const result = this.toResult(env, spec, req, outcome);
    const post = env.takePostRuntime();
    const finish = async (): Promise<number> => {
      // Extensions still working on the invocation: the client has its answer, the environment is busy until they are done.
      const ext = post ? await post : undefined;
      const timedOut = outcome.kind === 'timeout' || ext?.timedOut === true;
      const durationMs = timedOut ? spec.timeout * 1000 : runtimeMs + (ext?.ms ?? 0);
      if (ext?.timedOut) {
        const secs = timeoutSeconds(spec.timeout * 1000);
        this.platformLine(env, `${new Date(this.o.clock.now()).toISOString()} ${req.requestId} Task timed out after ${secs} seconds`);
      }
      this.platformLine(env, endLine(req.requestId));
      const maxMem = await env.maxMemoryMB(req.tail || cold);
      const status = timedOut ? 'timeout' : outcome.kind === 'exit' ? 'error' : undefined;
      const errorType = outcome.kind === 'exit' ? exitErrorType(env) : undefined;
      this.platformLine(
        env,
        reportLine({ requestId: req.requestId, durationMs, memorySize: spec.memorySize, maxMemoryUsedMB: maxMem, initMs, status, errorType, postRuntimeMs: ext?.ms }),
      );
      env.reportTelemetry(reportRecord(req.requestId, durationMs, spec.memorySize, maxMem, initMs, status ?? (outcome.kind === 'response' ? 'success' : 'error'), errorType));
      this.running.delete(env);
      this.pool.release(env);
      return durationMs;
    };
    // Tail carries the REPORT line: then the answer waits for the extensions too.
    if (post && !req.tail) {
      stillBusy(finish().catch(() => undefined));
      return { ...result, coldStart: cold, durationMs: runtimeMs };
    }
    const durationMs = await finish();
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

  /** The interpreter's bin dir first on PATH, and the SDK AWS's runtime includes at the end of the module path. */
  private runtimePaths(family: string, interpreter: { path: string; version: string; family: string; libDir?: string } | undefined): RuntimePaths {
    if (!interpreter) return {};
    const bin = dirname(interpreter.path);
    if (family === 'node') return { bin, ...(SDK_NODE_MODULES ? { modulePath: [SDK_NODE_MODULES] } : {}) };
    if (family === 'python') {
      const boto3 = boto3PathFor(this.platform.interpreters, interpreter);
      return { bin, ...(boto3 ? { modulePath: [boto3] } : {}) };
    }
    return { bin };
  }

  /** Tells the function's log what actually runs when it is not what the function asked for. */
  private coldStartNotes(env: Environment, spec: FunctionSpec): void {
    for (const line of this.platform.coldStartLines(spec.runtime, spec.architecture ? [spec.architecture] : undefined)) this.platformLine(env, line);
  }

  /** Starts (or adopts a pre-started) environment for a spec and runs its Init phase. */
  async coldStart(spec: FunctionSpec, initializationType: 'on-demand' | 'provisioned-concurrency' = 'on-demand'): Promise<{ env: Environment; init: InitOutcome }> {
    const family = familyOf(spec.runtime);
    const choice = this.platform.interpreters.choose(spec.runtime);
    // Created on a server that had the interpreter (or before the map changed): refused as AWS refuses a runtime.
    if (choice && !choice.interpreter) throw new AwsError('InvalidRuntimeException', this.platform.refusal(spec.runtime, undefined) ?? `The runtime ${spec.runtime} is not available.`);
    const exe = choice?.interpreter?.path;
    const lang = this.runtimePaths(family, choice?.interpreter);
    const logStream = streamName(this.o.clock.now(), spec.version);
    const initTimeoutMs = Math.max(10_000, spec.timeout * 1000);
    // A function without network cannot adopt a runtime started in the shared network namespace.
    const noNetwork = spec.noNetwork ?? spec.environment['SELFLESS_NETWORK'] === 'none';
    // Nor can one that needs a larger /tmp than pre-started sandboxes have (the default 512 MB).
    const sandboxed = this.o.launcher.mode === 'sandbox';
    // Before any environment is taken, so a refused role (or an undecryptable environment) leaves nothing to clean up.
    await spec.prepare?.();
    const key = await this.o.credentialsFor(spec);
    const fits = !(sandboxed && (noNetwork || spec.ephemeralStorage !== 512));
    // An image function runs its own root: only a sandbox pre-built on that root (a deferred one) fits it.
    if (spec.image) {
      const pre = fits && sandboxed ? this.pool.takePrestarted('provided', spec.memorySize, undefined, spec.image.rootfs) : undefined;
      const cmd = imageCommand(spec.image);
      if (pre && cmd) {
        const paths = this.o.launcher.paths({ codeDir: spec.codeDir, optDir: pre.optDir, runtimeDir: '', tmpDir: pre.tmpDir });
        const vars = imageEnv(spec.image, functionEnv(spec, paths, pre.env.runtimeApi, logStream, this.o.endpointUrl(), initializationType, key), spec.environment);
        pre.env.credentialsExpire = key.expiration;
        const init = pre.env.init(spec, logStream, undefined, initTimeoutMs);
        pre.env.start(cmd.command, cmd.args, vars, { codeDir: spec.codeDir, optDir: pre.optDir, cwd: spec.image.workdir });
        return { env: pre.env, init: await init };
      }
      pre?.env.destroy();
    }
    // External extensions start before the runtime, so a function with any cannot adopt a pre-started runtime; nor
    // can one whose variables the runtime reads at process start (NODE_OPTIONS, the exec wrapper, …).
    const extensions = spec.optDir ? await findExtensions(spec.optDir) : [];
    const fresh = needsFreshProcess(spec.environment) || extensions.length > 0;
    const pre = spec.image || !fits || fresh ? undefined : this.pool.takePrestarted(family, spec.memorySize, exe);
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
        this.coldStartNotes(pre.env, spec);
        pre.env.start(cmd.command, cmd.args, vars, { codeDir: spec.codeDir, optDir });
        return { env: pre.env, init: await init };
      }
      // No bootstrap: the plain path below reports it as AWS does.
      pre.env.destroy();
    } else if (pre) {
      const paths = this.o.launcher.paths({ codeDir: spec.codeDir, optDir: spec.optDir ?? pre.optDir, runtimeDir: runtimeCommand(family, spec.memorySize, exe)!.runtimeDir, tmpDir: pre.tmpDir });
      const runtimeApi = pre.env.runtimeApi;
      const vars = functionEnv(spec, paths, runtimeApi, logStream, this.o.endpointUrl(), initializationType, key, lang);
      const env = this.o.launcher.viewEnv?.(vars) ?? vars;
      pre.env.credentialsExpire = key.expiration;
      const init = pre.env.init(spec, logStream, env, initTimeoutMs);
      this.coldStartNotes(pre.env, spec);
      return { env: pre.env, init: await init };
    }
    // Java's runtime client is compiled on first use (before any environment exists, so a failure leaves none).
    if (family === 'java') {
      await ensureJavaClient(this.o.dataDir).catch((e: unknown) => {
        throw new AwsError('ServiceException', `Could not prepare the Java runtime: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    if (family === 'ruby' && !rubyCommand()) throw new AwsError('ServiceException', `Could not prepare the Ruby runtime: ${rubyProblem(spec.runtime) ?? 'no ruby'}`);
    const created = await this.pool.create();
    const { env, tmpDir, runtimeApi } = created;
    const optDir = spec.optDir ?? created.optDir;
    const cmd = spec.image ? imageCommand(spec.image) : family === 'provided' ? await providedCommand(spec.codeDir, optDir) : runtimeCommand(family, spec.memorySize, exe, optDir);
    if (!cmd && spec.image) {
      const init = env.init(spec, logStream, undefined, initTimeoutMs);
      env.destroy();
      await init;
      return { env, init: { ok: false, initMs: 0, errorType: 'Runtime.InvalidEntrypoint', payload: errorBody('Runtime.InvalidEntrypoint', 'RequestId: Error: the image has no ENTRYPOINT or CMD, and ImageConfig sets none') } };
    }
    const note = fallbackNote(spec.runtime);
    if (note) this.o.logs.append(spec.region, spec.logGroup, logStream, [{ timestamp: this.o.clock.now(), message: note }]);
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
    const lambdaVars = functionEnv(spec, paths, runtimeApi, logStream, this.o.endpointUrl(), initializationType, key, lang);
    const vars = spec.image ? imageEnv(spec.image, lambdaVars, spec.environment) : lambdaVars;
    env.credentialsExpire = key.expiration;
    const init = env.init(spec, logStream, undefined, initTimeoutMs);
    this.coldStartNotes(env, spec);
    let run: { command: string; args: string[] } = family === 'provided' || spec.image ? cmd : wrapped(cmd, spec.environment['AWS_LAMBDA_EXEC_WRAPPER'], paths);
    if (extensions.length > 0) {
      const sup = supervisorCommand('/bin/bash', join(optDir, 'extensions'), extensions, run);
      env.supervisorToken = sup.token;
      env.extensions.expect(extensions);
      run = sup;
    }
    try {
      env.attach(
        await this.o.launcher.launch({
          command: run.command,
          args: run.args,
          env: vars,
          cwd: spec.image ? spec.image.workdir : paths.task,
          memoryMB: spec.memorySize,
          tmpDir,
          tmpSizeMB: spec.ephemeralStorage,
          codeDir: spec.codeDir,
          optDir,
          runtimeDir: cmd.runtimeDir,
          noNetwork,
          ...(spec.image ? { rootfs: spec.image.rootfs } : {}),
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

/** platform.report's record (Telemetry API schema). */
function reportRecord(requestId: string, durationMs: number, memorySizeMB: number, maxMemoryUsedMB: number, initMs: number | undefined, status: string, errorType?: string): Record<string, unknown> {
  const metrics: Record<string, number> = {
    durationMs: Math.round(durationMs * 1000) / 1000,
    billedDurationMs: Math.max(1, Math.ceil(durationMs + (initMs ?? 0))),
    memorySizeMB,
    maxMemoryUsedMB,
  };
  if (initMs !== undefined) metrics['initDurationMs'] = Math.round(initMs * 1000) / 1000;
  return { requestId, status, ...(errorType ? { errorType } : {}), metrics };
}

/**
 * AWS_LAMBDA_EXEC_WRAPPER: the wrapper is exec'd with the runtime's command line as its arguments. A wrapper named by
 * its path in the function's view (/var/task/…, /opt/…) is found where that directory is on this host.
 */
function wrapped(cmd: RuntimeCommand, wrapper: string | undefined, paths: { task: string; opt: string }): RuntimeCommand {
  if (!wrapper) return cmd;
  const host = wrapper.startsWith('/var/task/') ? paths.task + wrapper.slice('/var/task'.length) : wrapper.startsWith('/opt/') ? paths.opt + wrapper.slice('/opt'.length) : wrapper;
  return { command: host, args: [cmd.command, ...cmd.args], runtimeDir: cmd.runtimeDir };
}

/** The line a function's log gets at each cold start when it runs on an older interpreter (--runtime-fallback). */
const fallbackNote = (runtime: string): string | undefined =>
  runtime.startsWith('java') ? javaFallbackNote(runtime) : runtime.startsWith('ruby') ? rubyFallbackNote(runtime) : undefined;

const exitErrorType = (env: Environment): string => (env.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError');

/** `YYYY/MM/DD/[version]<32 hex>`, as AWS names log streams. */
export function streamName(now: number, version: string): string {
  const d = new Date(now).toISOString();
  return `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/[${version}]${hex(16)}`;
}
