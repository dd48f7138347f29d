// One execution environment: a runtime process, its private Runtime API, and the lifecycle state machine
// Starting → Initializing → Idle ⇄ Invoking → Destroyed. It serves one invocation at a time and one spec for life.
import { scrubPaths, scrubPayload } from './scrub.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../lib/clock.js';
import { hex } from '../lib/ids.js';
import { errorBody, initTimeoutPayload, signalText, splitLines, traceId, trailerError } from './environment-text.js';
import { accepted, MAX_RUNTIME_PAYLOAD, reply, RuntimeApiServer, type RuntimeApiTarget } from './runtime-api/server.js';
import type { RuntimeProcess } from './sandbox/launcher.js';
import { ExtensionHost, SHUTDOWN_BUDGET_MS, type FunctionInfo } from './extensions/host.js';
import { parseSupervisorLine } from './extensions/supervisor.js';
import { routeExtensions } from './runtime-api/extensions.js';
import type { FunctionSpec, InvokeRequest, StreamSink } from './types.js';

export type EnvState = 'Starting' | 'Initializing' | 'Idle' | 'Invoking' | 'Destroyed';

const TRANSITIONS: Record<EnvState, readonly EnvState[]> = {
  Starting: ['Initializing', 'Destroyed'],
  Initializing: ['Idle', 'Destroyed'],
  Idle: ['Invoking', 'Destroyed'],
  Invoking: ['Idle', 'Destroyed'],
  Destroyed: [],
};

export class IllegalTransition extends Error {
  constructor(id: string, from: EnvState, to: EnvState) {
    super(`environment ${id}: illegal transition ${from} → ${to}`);
  }
}

/** How an invocation ended, before the engine turns it into Lambda's answer. */
export type Outcome =
  | { kind: 'response'; payload: Buffer; contentType?: string; streamed: boolean; streamError?: { errorType: string; body: string } }
  | { kind: 'error'; payload: Buffer; errorType: string }
  | { kind: 'timeout' }
  | { kind: 'exit'; reason: string }
  | { kind: 'tooLarge' };

export type InitOutcome = { ok: true; initMs: number } | { ok: false; payload: Buffer; errorType: string; initMs: number };

/** The extensions' share of an invocation after the runtime's response. */
export interface PostRuntime {
  ms: number;
  /** They were still busy at the invocation's deadline (the environment was destroyed). */
  timedOut: boolean;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

interface Current {
  req: InvokeRequest;
  deadlineMs: number;
  startedAt: number;
  delivered: boolean;
  settle: (o: Outcome) => void;
  cancelTimer: () => void;
}

/** Lines of output, split on \n; a runtime's \r inside a line keeps a multi-line message one event (AWS's convention). */
export type LineListener = (line: string, env: Environment) => void;

export class Environment implements RuntimeApiTarget {
  readonly id = hex(16);
  state: EnvState = 'Starting';
  spec: FunctionSpec | undefined;
  logStream = '';
  /** `host:port` of this environment's Runtime API. */
  runtimeApi = '';
  lastUsed = 0;
  invocations = 0;
  /** Initialised ahead of demand for provisioned concurrency: never reaped for idleness. */
  provisioned = false;
  /** When the credentials it started with expire (epoch ms; undefined: they do not): it is replaced before then. */
  credentialsExpire: number | undefined;
  private proc: RuntimeProcess | undefined;
  /** Only the environment's own processes may use its Runtime API, where the launcher can tell (sandbox). */
  private readonly api = new RuntimeApiServer(this, (peer, ours, address) => (this.proc?.ownsPeer ? this.proc.ownsPeer(peer, ours, address) : this.proc !== undefined));
  private pendingNext: ServerResponse | undefined;
  private pendingAssignment: ServerResponse | undefined;
  private assignedEnv: Record<string, string> | undefined;
  private current: Current | undefined;
  private initWaiter: ((o: InitOutcome) => void) | undefined;
  private initStarted = 0;
  private initErrorBody: { payload: Buffer; errorType: string } | undefined;
  private exitReason: string | undefined;
  /** Set when the runtime ran out of memory (its heap cap, or the sandbox's memory limit): reported as Runtime.OutOfMemory. */
  outOfMemory = false;
  /** The runtime announced it is exiting: never hand this environment another invocation. */
  private doomed = false;
  /** The runtime's last request for work said nothing of it is left running (selfless's Node runtime tells). */
  private quiet = false;
  private readonly onDestroyed: ((env: Environment) => void)[] = [];
  /** The Extensions and Telemetry APIs' state (external extensions, internal ones, subscribers). */
  readonly extensions: ExtensionHost;
  /** Set when the environment runs its external extensions through the supervisor: tags their output lines. */
  supervisorToken: string | undefined;
  /** The runtime asked for its first invocation; Init still waits for the extensions. */
  private runtimeReady = false;
  /** After the runtime's response: resolves once the extensions are done with the invocation (or time ran out). */
  private postRuntime: Promise<PostRuntime> | undefined;
  private shutdownStarted = false;

  constructor(
    private readonly clock: Clock,
    private readonly onLine: LineListener,
  ) {
    this.extensions = new ExtensionHost(clock, () => this.extensionsChanged(), (l) => this.onLine(l, this));
  }

  functionInfo(): FunctionInfo {
    const s = this.spec;
    return { functionName: s?.functionName ?? '', functionVersion: s?.version ?? '', handler: s?.handler ?? '', accountId: s?.accountId ?? '' };
  }

  initializing(): boolean {
    return this.state === 'Initializing' || this.state === 'Starting';
  }

  extensionRequest(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    return routeExtensions(this, req, res);
  }

  /** Re-checks what waits on the extensions: the end of Init, a failed Init, a broken environment. */
  private extensionsChanged(): void {
    if (this.state === 'Initializing') {
      const f = this.extensions.failure;
      if (f) {
        const initMs = this.clock.now() - this.initStarted;
        this.extensions.telemetry.emit('platform.initReport', { initializationType: this.initType(), phase: 'init', status: 'error', errorType: f.errorType, metrics: { durationMs: round(initMs) } });
        this.finishInit({ ok: false, initMs, errorType: f.errorType, payload: errorBody(f.errorType, f.message) });
        this.destroy();
        return;
      }
      if (this.runtimeReady && this.extensions.initDone()) this.initComplete();
      return;
    }
    if (this.state === 'Idle' && this.extensions.broken) this.destroy();
  }

  private initType(): string {
    return this.provisioned ? 'provisioned-concurrency' : 'on-demand';
  }

  /** Starts listening; returns the `host:port` for AWS_LAMBDA_RUNTIME_API. */
  async open(): Promise<string> {
    const port = await this.api.listen();
    this.runtimeApi = `127.0.0.1:${port}`;
    return this.runtimeApi;
  }

  attach(proc: RuntimeProcess): void {
    this.proc = proc;
    const line = (l: string): void => {
      const tag = this.supervisorToken ? parseSupervisorLine(l, this.supervisorToken) : undefined;
      if (!tag) {
        const text = scrubPaths(l);
        if (this.extensions.telemetry.listening) this.extensions.telemetry.emit('function', text.replace(/\r/g, '\n'));
        this.onLine(text, this);
      } else if (tag.kind === 'log') {
        const text = scrubPaths(tag.text);
        if (this.extensions.telemetry.listening) this.extensions.telemetry.emit('extension', text.replace(/\r/g, '\n'));
        this.onLine(text, this);
      } else {
        this.extensions.exited(tag.name, tag.reason);
      }
    };
    splitLines(proc.stdout, line);
    splitLines(proc.stderr, line);
    proc.onExit((code, signal) => {
      if (proc.oomKilled) this.outOfMemory = true;
      this.exitedWithSignal(code, signal);
    });
  }

  private exitedWithSignal(code: number | null, signal: NodeJS.Signals | null): void {
    this.exited(signal ? `signal: ${signalText(signal)}` : `exit status ${code ?? 0}`);
  }

  /** Freezes an idle environment where the launcher can (its timers and background work stop until `thaw`). */
  freeze(): void {
    if (this.state === 'Idle') void this.proc?.freeze?.(this.quiet).catch(() => undefined);
  }

  /** Resolves once a frozen environment runs again; immediate when it was never frozen. */
  thaw(): Promise<void> | undefined {
    return this.proc?.thaw?.();
  }

  /** Serves a Runtime API connection that reached this environment by a trusted path (the no-network bridge). */
  adoptConnection(socket: Socket): void {
    if (this.state === 'Destroyed') socket.destroy();
    else this.api.adopt(socket);
  }

  /** Runs a deferred (pre-started custom runtime) environment's command. */
  start(command: string, args: string[], env: Record<string, string>, dirs: { codeDir: string; optDir: string; cwd?: string }): void {
    this.proc?.start?.(command, args, env, dirs);
  }

  /** Makes a pre-started sandbox see the function's code before it is assigned (a no-op for plain processes). */
  async prepare(codeDir: string, optDir: string | undefined): Promise<void> {
    await this.proc?.assign?.({ codeDir, optDir });
  }

  whenDestroyed(fn: (env: Environment) => void): void {
    this.onDestroyed.push(fn);
  }

  get pid(): number {
    return this.proc?.pid ?? -1;
  }

  private peakMB = 0;
  private peakReadAt = 0;

  /**
   * Peak memory for REPORT. Reading it costs a file read, so on the hot path the last reading is used and a fresh
   * one is taken in the background at most once a second (peak use only grows, so the figure may lag a little);
   * `fresh` waits for a new reading (first invocation, Tail).
   */
  async maxMemoryMB(fresh: boolean): Promise<number> {
    const now = this.clock.now();
    if (!fresh && this.peakMB > 0 && now - this.peakReadAt < 1000) return this.peakMB;
    this.peakReadAt = now;
    const read = (this.proc?.maxMemoryMB() ?? Promise.resolve(0)).then((mb) => (this.peakMB = Math.max(this.peakMB, mb)));
    if (fresh || this.peakMB === 0) return read;
    void read.catch(() => undefined);
    return this.peakMB;
  }

  private to(next: EnvState): void {
    if (!TRANSITIONS[this.state].includes(next)) throw new IllegalTransition(this.id, this.state, next);
    this.state = next;
  }

  /**
   * Binds this environment to a spec and runs Init until the runtime first asks for an invocation.
   * `env` is delivered through the pre-start assignment when the process was started before it was needed.
   */
  init(spec: FunctionSpec, logStream: string, env: Record<string, string> | undefined, initTimeoutMs: number): Promise<InitOutcome> {
    this.to('Initializing');
    this.spec = spec;
    this.logStream = logStream;
    this.initStarted = this.clock.now();
    this.extensions.telemetry.emit('platform.initStart', {
      initializationType: this.initType(),
      phase: 'init',
      runtimeVersion: spec.runtime,
      runtimeVersionArn: `arn:aws:lambda:${spec.region}::runtime:${spec.runtime}`,
      functionName: spec.functionName,
      functionVersion: spec.version,
    });
    if (env) {
      this.assignedEnv = env;
      if (this.pendingAssignment) this.sendAssignment(this.pendingAssignment);
    }
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(initTimeoutMs, () => {
        if (this.state === 'Initializing') {
          this.finishInit({ ok: false, errorType: 'Runtime.InitTimeout', initMs: initTimeoutMs, payload: initTimeoutPayload(initTimeoutMs) });
          this.destroy();
        }
      });
      this.initWaiter = (o) => {
        cancel();
        resolve(o);
      };
    });
  }

  /** The runtime and every extension have asked for their next event: Init is over. */
  private initComplete(): void {
    this.to('Idle');
    this.lastUsed = this.clock.now();
    const initMs = this.clock.now() - this.initStarted;
    this.extensions.closeRegistration();
    if (this.extensions.any) this.extensions.telemetry.emit('platform.initReport', { initializationType: this.initType(), phase: 'init', status: 'success', metrics: { durationMs: round(initMs) } });
    this.finishInit({ ok: true, initMs });
  }

  private finishInit(o: InitOutcome): void {
    const w = this.initWaiter;
    this.initWaiter = undefined;
    w?.(o);
  }

  /** Runs one invocation; resolves with how it ended. The environment must be Idle. */
  invoke(req: InvokeRequest, timeoutMs: number): Promise<Outcome> {
    this.to('Invoking');
    this.invocations++;
    this.postRuntime = undefined;
    return new Promise((settle) => {
      const deadlineMs = this.clock.now() + timeoutMs;
      const cancelTimer = this.clock.setTimer(timeoutMs, () => this.complete({ kind: 'timeout' }));
      this.current = { req, deadlineMs, delivered: false, settle, cancelTimer, startedAt: this.clock.now() };
      if (!req.traceId) req.traceId = traceId(this.clock.now());
      if (this.extensions.any) {
        const tracing = { type: 'X-Amzn-Trace-Id' as const, value: req.traceId };
        this.extensions.invoke({ eventType: 'INVOKE', deadlineMs, requestId: req.requestId, invokedFunctionArn: req.invokedArn, tracing });
        this.extensions.telemetry.emit('platform.start', { requestId: req.requestId, version: this.spec?.version ?? '$LATEST', tracing });
      }
      if (this.pendingNext) {
        const res = this.pendingNext;
        this.pendingNext = undefined;
        this.deliver(res);
      }
    });
  }

  private complete(o: Outcome): void {
    const c = this.current;
    if (!c) return;
    this.current = undefined;
    c.cancelTimer();
    if (this.extensions.telemetry.active) this.runtimeDone(c, o);
    if (o.kind === 'timeout' || o.kind === 'exit' || this.doomed) {
      if (this.state !== 'Destroyed') this.destroy();
    } else if (this.state === 'Invoking' && this.extensions.busy) {
      // The client has its answer; the invocation (and the environment) is done once the extensions are.
      this.postRuntime = this.awaitExtensions(c.deadlineMs);
    } else if (this.state === 'Invoking') {
      this.toIdle();
    }
    c.settle(o);
  }

  private toIdle(): void {
    if (this.extensions.broken || this.doomed) {
      this.destroy();
      return;
    }
    this.to('Idle');
    this.lastUsed = this.clock.now();
  }

  private awaitExtensions(deadlineMs: number): Promise<PostRuntime> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let done = false;
      const cancel = this.clock.setTimer(Math.max(0, deadlineMs - this.clock.now()), () => {
        if (done) return;
        done = true;
        if (this.state !== 'Destroyed') this.destroy();
        resolve({ ms: performance.now() - t0, timedOut: true });
      });
      void this.extensions.drained().then(() => {
        if (done) return;
        done = true;
        cancel();
        if (this.state === 'Invoking') this.toIdle();
        resolve({ ms: performance.now() - t0, timedOut: false });
      });
    });
  }

  /** The extensions' time after the runtime's response, once they are done; undefined when none was busy. */
  takePostRuntime(): Promise<PostRuntime> | undefined {
    const p = this.postRuntime;
    this.postRuntime = undefined;
    return p;
  }

  private runtimeDone(c: Current, o: Outcome): void {
    const status = o.kind === 'response' ? (o.streamError ? 'error' : 'success') : o.kind === 'timeout' ? 'timeout' : o.kind === 'exit' ? 'failure' : 'error';
    const record: Record<string, unknown> = {
      requestId: c.req.requestId,
      status,
      metrics: { durationMs: round(this.clock.now() - c.startedAt), producedBytes: o.kind === 'response' ? o.payload.length : 0 },
      tracing: { type: 'X-Amzn-Trace-Id', value: c.req.traceId },
    };
    if (o.kind === 'error') record['errorType'] = o.errorType;
    if (o.kind === 'timeout') record['errorType'] = 'Sandbox.Timedout';
    if (o.kind === 'exit') record['errorType'] = this.outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
    this.extensions.telemetry.emit('platform.runtimeDone', record);
  }

  /** platform.report for an invocation (the engine knows its figures). */
  reportTelemetry(record: Record<string, unknown>): void {
    if (this.extensions.telemetry.active) this.extensions.telemetry.emit('platform.report', record);
  }

  /**
   * Ends the environment as AWS spins one down: extensions registered for SHUTDOWN get the event and up to 2 s to
   * ask for the next one (or exit), then everything is killed. Without such extensions it is `destroy`.
   */
  async shutdown(reason: 'spindown' | 'timeout' | 'failure' = 'spindown'): Promise<void> {
    if (this.state === 'Destroyed') return;
    if (this.shutdownStarted || !this.extensions.wantsShutdown || this.state === 'Invoking') return this.destroy();
    this.shutdownStarted = true;
    await this.thaw()?.catch(() => undefined);
    await this.extensions.telemetry.flush();
    await new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(SHUTDOWN_BUDGET_MS, resolve);
      void this.extensions.shutdown(reason).then(() => {
        cancel();
        resolve();
      });
    });
    this.destroy();
  }

  private deliver(res: ServerResponse): void {
    const c = this.current!;
    c.delivered = true;
    const h: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': c.req.payload.length,
      'lambda-runtime-aws-request-id': c.req.requestId,
      'lambda-runtime-deadline-ms': String(c.deadlineMs),
      'lambda-runtime-invoked-function-arn': c.req.invokedArn,
      'lambda-runtime-trace-id': c.req.traceId ?? traceId(this.clock.now()),
    };
    if (c.req.clientContext) h['lambda-runtime-client-context'] = c.req.clientContext;
    if (c.req.cognitoIdentity) h['lambda-runtime-cognito-identity'] = c.req.cognitoIdentity;
    res.writeHead(200, h);
    res.end(c.req.payload);
  }

  // ---- Runtime API ----

  assignment(res: ServerResponse): void {
    if (this.assignedEnv) this.sendAssignment(res);
    else this.pendingAssignment = res;
  }

  private sendAssignment(res: ServerResponse): void {
    this.pendingAssignment = undefined;
    reply(res, 200, { env: this.assignedEnv });
  }

  idle(quiet: boolean): void {
    this.quiet = quiet;
  }

  next(res: ServerResponse): void {
    if (this.state === 'Initializing') {
      this.pendingNext = res;
      if (this.extensions.any && !this.runtimeReady) {
        this.extensions.telemetry.emit('platform.initRuntimeDone', { initializationType: this.initType(), phase: 'init', status: 'success' });
      }
      this.runtimeReady = true;
      if (!this.extensions.any || this.extensions.initDone()) this.initComplete();
      return;
    }
    if (this.state === 'Invoking' && this.current && !this.current.delivered) {
      this.deliver(res);
      return;
    }
    if (this.state === 'Destroyed') {
      res.destroy();
      return;
    }
    this.pendingNext = res;
  }

  private checkId(requestId: string, res: ServerResponse): Current | undefined {
    const c = this.current;
    if (!c || !c.delivered) {
      reply(res, 403, { errorMessage: 'State transition is not allowed: no invocation in progress', errorType: 'InvalidStateTransition' });
      return undefined;
    }
    if (c.req.requestId !== requestId) {
      reply(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
      return undefined;
    }
    return c;
  }

  response(requestId: string, req: IncomingMessage, res: ServerResponse, thenNext: boolean): void {
    const c = this.checkId(requestId, res);
    if (!c) {
      req.resume();
      return;
    }
    const mode = req.headers['lambda-runtime-function-response-mode'];
    if (mode !== undefined && mode !== 'streaming') {
      req.resume();
      reply(res, 400, { errorMessage: `Invalid response mode: ${String(mode)}`, errorType: 'Runtime.InvalidResponseModeHeader' });
      this.complete({ kind: 'error', errorType: 'Runtime.InvalidResponseModeHeader', payload: errorBody('Runtime.InvalidResponseModeHeader', 'Invalid response mode header') });
      return;
    }
    const contentType = req.headers['content-type'];
    if (mode === 'streaming' && c.req.stream) return this.streamTo(c.req.stream, contentType ?? 'application/octet-stream', req, res);
    const limit = MAX_RUNTIME_PAYLOAD;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (ch: Buffer) => {
      size += ch.length;
      if (size <= limit) chunks.push(ch);
    });
    req.on('end', () => {
      if (size > limit) {
        reply(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${limit} bytes).`, errorType: 'RequestEntityTooLarge' });
        this.complete({ kind: 'tooLarge' });
        return;
      }
      const streamError = trailerError(req);
      if (!thenNext) accepted(res);
      this.complete({ kind: 'response', payload: Buffer.concat(chunks, size), contentType, streamed: false, streamError });
      // The same exchange now waits for the next invocation, exactly as GET /runtime/invocation/next would.
      if (thenNext) this.next(res);
    });
    req.on('error', () => this.complete({ kind: 'exit', reason: 'exit status 1' }));
  }

  private streamTo(sink: StreamSink, contentType: string, req: IncomingMessage, res: ServerResponse): void {
    sink.start(contentType);
    req.on('data', (ch: Buffer) => sink.body.write(ch));
    req.on('end', () => {
      accepted(res);
      this.complete({ kind: 'response', payload: Buffer.alloc(0), contentType, streamed: true, streamError: trailerError(req) });
    });
    req.on('error', () => this.complete({ kind: 'exit', reason: 'exit status 1' }));
  }

  error(requestId: string, errorType: string | undefined, body: Buffer, res: ServerResponse, fatal: boolean): void {
    const c = this.checkId(requestId, res);
    if (!c) return;
    accepted(res);
    if (fatal) this.doomed = true;
    this.complete({ kind: 'error', errorType: errorType ?? 'Unhandled', payload: body.length > 0 ? scrubPayload(body) : errorBody(errorType ?? 'Unhandled', '') });
  }

  initError(errorType: string | undefined, body: Buffer, res: ServerResponse): void {
    if (this.state !== 'Initializing') {
      reply(res, 403, { errorMessage: 'State transition is not allowed: not initializing', errorType: 'InvalidStateTransition' });
      return;
    }
    accepted(res);
    this.initErrorBody = { errorType: errorType ?? 'Runtime.Unknown', payload: scrubPayload(body) };
  }

  private exited(reason: string): void {
    this.exitReason = reason;
    if (this.state === 'Initializing') {
      const initMs = this.clock.now() - this.initStarted;
      const e = this.initErrorBody;
      this.finishInit(
        e
          ? { ok: false, initMs, ...e }
          : { ok: false, initMs, errorType: 'Runtime.ExitError', payload: errorBody('Runtime.ExitError', `Runtime exited with error: ${reason}`) },
      );
    }
    if (this.current) this.complete({ kind: 'exit', reason });
    if (this.state !== 'Destroyed') this.destroy();
  }

  get exitedWith(): string | undefined {
    return this.exitReason;
  }

  /** Kills the process and closes the Runtime API; idempotent. */
  destroy(): void {
    if (this.state === 'Destroyed') return;
    this.to('Destroyed');
    this.extensions.dispose();
    this.proc?.kill();
    this.api.close();
    this.pendingNext?.destroy();
    this.pendingAssignment?.destroy();
    this.pendingNext = undefined;
    if (this.current) this.complete({ kind: 'exit', reason: this.exitReason ?? 'signal: killed' });
    if (this.initWaiter) {
      this.finishInit({ ok: false, initMs: this.clock.now() - this.initStarted, errorType: 'Runtime.ExitError', payload: errorBody('Runtime.ExitError', 'Runtime exited with error: signal: killed') });
    }
    for (const fn of this.onDestroyed) fn(this);
  }
}

export { errorBody, signalText };
