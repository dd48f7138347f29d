// The Extensions API (2020-01-01) state of one environment: registered extensions, their events and the gates
// that hold Init and each invocation open until every extension has asked for its next event.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../lib/clock.js';
import { reply } from '../runtime-api/server.js';
import { Telemetry } from './telemetry.js';

/** AWS's limit: ten extensions per function. */
export const MAX_EXTENSIONS = 10;
/** The time extensions get to shut down (AWS: 2 s with extensions registered for SHUTDOWN, then SIGKILL). */
export const SHUTDOWN_BUDGET_MS = 2000;

export type ExtensionEvent =
  | { eventType: 'INVOKE'; deadlineMs: number; requestId: string; invokedFunctionArn: string; tracing: { type: 'X-Amzn-Trace-Id'; value: string } }
  | { eventType: 'SHUTDOWN'; shutdownReason: 'spindown' | 'timeout' | 'failure'; deadlineMs: number };

export interface Extension {
  id: string;
  name: string;
  external: boolean;
  invoke: boolean;
  shutdown: boolean;
  /** Its pending GET event/next, when it waits. */
  waiting: ServerResponse | undefined;
  queue: ExtensionEvent[];
  /** Has an event it has not yet answered with another event/next. */
  busy: boolean;
  /** Has asked for an event at least once (ready for Init). */
  ready: boolean;
  gone: boolean;
}

export interface FunctionInfo {
  functionName: string;
  functionVersion: string;
  handler: string;
  accountId: string;
}

export class AwsExtError {
  constructor(
    readonly status: number,
    readonly errorType: string,
    readonly errorMessage: string,
  ) {}
  send(res: ServerResponse): void {
    reply(res, this.status, { errorMessage: this.errorMessage, errorType: this.errorType });
  }
}

const forbidden = (type: string, message: string): AwsExtError => new AwsExtError(403, type, message);

export class ExtensionHost {
  readonly telemetry: Telemetry;
  private readonly byId = new Map<string, Extension>();
  private readonly byName = new Map<string, Extension>();
  /** External extensions started from /opt/extensions, by file name. */
  private expected: string[] = [];
  private registrationOpen = true;
  private readonly registeredWaiters: ServerResponse[] = [];
  /** The first failure of Init an extension caused (a crash, or its init/error). */
  failure: { errorType: string; message: string } | undefined;
  /** An extension reported exit/error or crashed after Init: the environment is not reused. */
  broken: { errorType: string; message: string } | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly clock: Clock,
    /** Called whenever an extension becomes ready, registers or is gone: the environment re-checks its gates. */
    private readonly changed: () => void,
    /** Writes a platform line (EXTENSION, TELEMETRY) to the function's log stream. */
    readonly line: (message: string) => void,
  ) {
    this.telemetry = new Telemetry(clock);
  }

  /** Whether the environment has any extension at all (none: every gate is open). */
  get any(): boolean {
    return this.byId.size > 0 || this.expected.length > 0;
  }

  expect(names: string[]): void {
    this.expected = names;
  }

  // ---- Init ----

  /** Every external extension started has registered (or one has failed): the runtime may start. */
  allRegistered(): boolean {
    return this.failure !== undefined || this.expected.every((n) => this.byName.has(n));
  }

  /** The supervisor's wait for registration before it starts the runtime. */
  awaitRegistered(res: ServerResponse): void {
    if (this.allRegistered()) reply(res, 200, { ready: this.failure === undefined });
    else this.registeredWaiters.push(res);
  }

  /** Init may end: every extension started has registered, and every registered one has asked for an event. */
  initDone(): boolean {
    if (!this.allRegistered()) return false;
    for (const e of this.byId.values()) if (!e.ready && !e.gone) return false;
    return true;
  }

  closeRegistration(): void {
    this.registrationOpen = false;
    this.telemetry.endBacklog();
  }

  register(name: string | undefined, events: unknown, info: FunctionInfo, acceptAccountId: boolean, res: ServerResponse): void {
    const e = this.tryRegister(name, events);
    if (e instanceof AwsExtError) return e.send(res);
    const body: Record<string, string> = { functionName: info.functionName, functionVersion: info.functionVersion, handler: info.handler };
    if (acceptAccountId) body['accountId'] = info.accountId;
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'lambda-extension-identifier': e.id });
    res.end(text);
    const evs = [e.invoke ? 'INVOKE' : '', e.shutdown ? 'SHUTDOWN' : ''].filter(Boolean);
    this.telemetry.emit('platform.extension', { name: e.name, state: 'Ready', events: evs });
    this.line(`EXTENSION\tName: ${e.name}\tState: Ready\tEvents: [${evs.join(',')}]`);
    if (this.allRegistered()) for (const w of this.registeredWaiters.splice(0)) reply(w, 200, { ready: this.failure === undefined });
    this.changed();
  }

  private tryRegister(name: string | undefined, events: unknown): Extension | AwsExtError {
    if (!name) return forbidden('Extension.InvalidExtensionName', 'Empty extension name');
    if (!Array.isArray(events) || events.some((x) => typeof x !== 'string')) {
      return forbidden('InvalidRequestFormat', 'json: cannot unmarshal the request body: events must be an array of strings');
    }
    const existing = this.byName.get(name);
    if (existing) {
      return forbidden('Extension.InvalidExtensionState', `State transition from Registered to Registered failed for extension ${name}. Error: State transition is not allowed`);
    }
    const external = this.expected.includes(name);
    if (!this.registrationOpen) return forbidden('Extension.RegistrationClosed', 'Extension registration closed already');
    if (this.byId.size >= MAX_EXTENSIONS) return forbidden('Extension.TooManyExtensions', `Extension limit (${MAX_EXTENSIONS}) reached`);
    for (const ev of events as string[]) {
      if (ev !== 'INVOKE' && ev !== 'SHUTDOWN') return forbidden('Extension.InvalidEventType', `${ev}: invalid event type`);
      if (ev === 'SHUTDOWN' && !external) return forbidden('Extension.InvalidEventType', 'SHUTDOWN: internal extensions cannot register for SHUTDOWN events');
    }
    const e: Extension = {
      id: randomUUID(),
      name,
      external,
      invoke: events.includes('INVOKE'),
      shutdown: events.includes('SHUTDOWN'),
      waiting: undefined,
      queue: [],
      busy: false,
      ready: false,
      gone: false,
    };
    this.byId.set(e.id, e);
    this.byName.set(name, e);
    return e;
  }

  /** The extension an identifier names, or AWS's error for a missing or unknown one. */
  find(id: string | undefined): Extension | AwsExtError {
    if (!id) return forbidden('Extension.MissingExtensionIdentifier', 'Missing Lambda-Extension-Identifier header');
    const e = this.byId.get(id);
    if (!e) return forbidden('Extension.InvalidExtensionIdentifier', 'Invalid Lambda-Extension-Identifier');
    return e;
  }

  next(id: string | undefined, res: ServerResponse): void {
    const e = this.find(id);
    if (e instanceof AwsExtError) return e.send(res);
    e.waiting?.destroy();
    e.waiting = undefined;
    e.ready = true;
    e.busy = false;
    const ev = e.queue.shift();
    if (ev) {
      e.busy = true;
      this.send(res, ev);
    } else {
      e.waiting = res;
      res.on('close', () => {
        if (e.waiting === res) e.waiting = undefined;
      });
    }
    this.changed();
    this.checkDrained();
  }

  private send(res: ServerResponse, ev: ExtensionEvent): void {
    const text = JSON.stringify(ev);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'lambda-extension-event-identifier': randomUUID() });
    res.end(text);
  }

  private deliver(e: Extension, ev: ExtensionEvent): void {
    e.busy = true;
    const w = e.waiting;
    e.waiting = undefined;
    if (w && !w.destroyed) this.send(w, ev);
    else e.queue.push(ev);
  }

  /** init/error and exit/error: the extension reports a failure; Init fails, or the environment is not reused. */
  reportError(id: string | undefined, errorType: string | undefined, phase: 'init' | 'exit', res: ServerResponse): void {
    const e = this.find(id);
    if (e instanceof AwsExtError) return e.send(res);
    if (!errorType) return forbidden('Extension.MissingHeader', 'Missing Lambda-Extension-Function-Error-Type header').send(res);
    reply(res, 202, { status: 'OK' });
    const failure = { errorType, message: `Extension ${e.name} reported ${phase} error: ${errorType}` };
    if (phase === 'init' && this.registrationOpen) this.failure ??= failure;
    else this.broken ??= failure;
    this.changed();
  }

  /** The supervisor says an external extension's process ended. */
  exited(name: string, reason: string): void {
    const e = this.byName.get(name);
    if (e) {
      e.gone = true;
      e.busy = false;
      e.queue = [];
      e.waiting?.destroy();
      e.waiting = undefined;
    }
    this.line(`EXTENSION\tName: ${name}\tState: ${e?.ready && !this.registrationOpen ? 'Exited' : 'Crashed'}\tEvents: []`);
    const failure = { errorType: 'Extension.Crash', message: `Extension ${name} exited with error: ${reason}` };
    if (this.registrationOpen) {
      this.failure ??= failure;
      for (const w of this.registeredWaiters.splice(0)) reply(w, 200, { ready: false });
    } else if (!this.shuttingDown) {
      this.broken ??= failure;
    }
    this.changed();
    this.checkDrained();
  }

  // ---- Invoke ----

  invoke(ev: Extract<ExtensionEvent, { eventType: 'INVOKE' }>): void {
    for (const e of this.byId.values()) if (e.invoke && !e.gone) this.deliver(e, ev);
  }

  /** Extensions still working on their last event. */
  get busy(): boolean {
    for (const e of this.byId.values()) if (e.busy && !e.gone) return true;
    return false;
  }

  /** Resolves once no extension is busy. */
  drained(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private checkDrained(): void {
    if (this.busy) return;
    for (const r of this.drainWaiters.splice(0)) r();
  }

  // ---- Shutdown ----

  private shuttingDown = false;

  /** Whether any live extension wants SHUTDOWN. */
  get wantsShutdown(): boolean {
    for (const e of this.byId.values()) if (e.shutdown && !e.gone) return true;
    return false;
  }

  /** Sends SHUTDOWN to those registered for it; resolves when they have all asked for the next event (or exited). */
  shutdown(reason: 'spindown' | 'timeout' | 'failure'): Promise<void> {
    this.shuttingDown = true;
    const deadlineMs = this.clock.now() + SHUTDOWN_BUDGET_MS;
    for (const e of this.byId.values()) if (e.shutdown && !e.gone) this.deliver(e, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
    return this.drained();
  }

  dispose(): void {
    this.shuttingDown = true;
    for (const e of this.byId.values()) {
      e.waiting?.destroy();
      e.waiting = undefined;
      e.gone = true;
    }
    for (const w of this.registeredWaiters.splice(0)) w.destroy();
    for (const r of this.drainWaiters.splice(0)) r();
    this.telemetry.close();
  }
}
