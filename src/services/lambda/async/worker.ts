// The async invoke worker: a durable queue per function feeding the normal invoke path, with AWS's retry rules
// (function errors: MaximumRetryAttempts after 1 then 2 minutes; throttles and system errors: backoff from 1 s to
// 5 min until MaximumEventAgeInSeconds) and the outcome sent to destinations and the dead-letter queue.
import { AwsError, isStorageFull } from '../../../lib/errors.js';
import type { Clock } from '../../../lib/clock.js';
import { uuid } from '../../../lib/ids.js';
import type { InvokeResult } from '../../../engine/types.js';
import type { LambdaInvoker, Resolved } from '../invoker.js';
import type { QueueBroker } from '../../sqs/index.js';
import type { SnsApi } from '../../sns/index.js';
import type { EventsApi } from '../../events/index.js';
import type { Store } from '../../../store/store.js';
import { LocalNotifier } from '../../../store/notifier.js';
import { WorkQueues } from '../../../store/work.js';
import { AsyncEventStore, type AsyncEvent, type EventTrace } from './event-store.js';
import { AdaptiveLimit } from './limiter.js';
import { deadLetterMessage, invocationRecord, type Condition, type ResponseInfo } from './records.js';

/** The effective async settings for one invocation (event invoke config + the version's DeadLetterConfig). */
export interface AsyncPolicy {
  maxRetries: number;
  maxAgeSeconds: number;
  onSuccess?: string;
  onFailure?: string;
  deadLetter?: string;
}

export interface AsyncWorkerDeps {
  clock: Clock;
  store: Store;
  invoker: LambdaInvoker;
  accountId: string;
  /** The SQS module API (destinations and dead-letter queues). */
  queues: QueueBroker;
  /** The SNS module API (destinations and dead-letter targets that are topics); absent: those deliveries fail. */
  sns?: SnsApi;
  /** EventBridge's module API (destinations that are event buses). */
  events?: EventsApi;
  policy(event: { region: string; functionName: string; qualifier: string | undefined }, resolved: Resolved): AsyncPolicy;
  /** The base retry delay for function errors (AWS: 60 s, then twice that). */
  retryDelaySeconds: number;
  /** Events of one function in flight at most (further capped by its reserved concurrency; see limiter.ts). */
  perFunctionConcurrency: number;
  log(msg: string): void;
  /** The node's work queues; without them, a private set (one node, tests). */
  work?: WorkQueues;
  /**
   * Other nodes share the queues (PostgreSQL): sweep them every few seconds for events nobody runs (a dead node's
   * lapsed claims, a stopped node's released ones). Alone, the node takes over its previous run's claims at start.
   */
  shared?: boolean;
}

const MAX_BACKOFF_MS = 300_000;
/** How often a node of a cluster looks for events to take over (takeover: the lease TTL plus this). */
const SWEEP_MS = 2_000;
/** Events claimed from a queue at once (the rest wait in the store). */
const CLAIM_BATCH = 512;

/** A delivery its target refuses for good (unlike a full disk or a store error, which pass). */
class Undeliverable extends Error {}

/** A FIFO with O(1) push/shift. */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

export class AsyncWorker {
  private readonly events: AsyncEventStore;
  private readonly ready = new Map<string, Fifo<AsyncEvent>>();
  private readonly inflight = new Map<string, number>();
  /** Events waiting for a retry time, with the cancel of their timer. */
  private readonly timers = new Map<AsyncEvent, () => void>();
  /** Events being invoked, by function key (so that deleting the function can drop them). */
  private readonly invoking = new Map<string, Set<AsyncEvent>>();
  /** Each function's adaptive concurrency limit. */
  private readonly limits = new Map<string, AdaptiveLimit>();
  private running = false;
  private backlog: AsyncEvent[] = [];
  private readonly work: WorkQueues;
  /** Queues being claimed from right now (one claim per queue at a time). */
  private readonly pulling = new Set<string>();
  /** Queues whose last claim was a full batch: more wait in the store. */
  private readonly more = new Set<string>();
  private cancelSweep: (() => void) | undefined;
  /** Wakes the deliveries waiting to retry (stop(): their events stay, to run again after the next start). */
  private readonly wakeOnStop = new Set<() => void>();
  /** Per queue, the timer of its next due item (one node alone: what the sweep does in a cluster). */
  private readonly dueTimers = new Map<string, () => void>();
  /** Counters for tests and benchmarks. */
  readonly stats = { accepted: 0, succeeded: 0, failed: 0, retried: 0, throttled: 0 };

  constructor(private readonly d: AsyncWorkerDeps) {
    this.work = d.work ?? new WorkQueues(d.store, new LocalNotifier(), d.clock, 'local');
    this.events = new AsyncEventStore(d.store, this.work, (e) => d.log(`selfless: async event write failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Prepares the queues; events acknowledged before the last stop run once start() is called. */
  async init(): Promise<void> {
    await this.events.init();
    if (!this.d.shared) await this.work.reset('async:');
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const backlog = this.backlog;
    this.backlog = [];
    for (const e of backlog) this.schedule(e);
    this.started = this.pullAll();
    if (this.d.shared) {
      const arm = (): void => {
        this.cancelSweep = this.d.clock.setTimer(SWEEP_MS, () => {
          void this.pullAll().finally(() => {
            if (this.cancelSweep) arm();
          });
        });
      };
      arm();
    }
  }

  /** Resolves once the events waiting in the store at start() are claimed (and scheduled). */
  started: Promise<void> = Promise.resolve();

  async stop(): Promise<void> {
    this.running = false;
    for (const wake of [...this.wakeOnStop]) wake();
    const c = this.cancelSweep;
    this.cancelSweep = undefined;
    c?.();
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    for (const cancel of this.dueTimers.values()) cancel();
    this.dueTimers.clear();
    // What this node still holds is handed back by the node (releaseAll) after the services stop.
    await this.events.close();
  }

  /** Claims due events of every function's queue (at start, and on each sweep of a cluster); resolves once claimed. */
  private async pullAll(): Promise<void> {
    try {
      const qs = await this.events.queues();
      await Promise.all(qs.map((q) => this.pull(q)));
      // Alone (no sweep), events left waiting for a retry by the previous run are claimed when they fall due.
      if (!this.d.shared) for (const q of qs) await this.pullAt(q);
    } catch (e) {
      this.d.log(`selfless: async sweep failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Pulls `queue` again when its next item falls due (one timer per queue). */
  private async pullAt(queue: string): Promise<void> {
    if (this.dueTimers.has(queue)) return;
    const at = await this.events.nextAt(queue);
    const wait = at === undefined ? undefined : at - this.d.clock.now();
    if (wait === undefined || wait <= 0 || !this.running) return;
    this.dueTimers.set(
      queue,
      this.d.clock.setTimer(wait, () => {
        this.dueTimers.delete(queue);
        void this.pull(queue).then(() => this.pullAt(queue));
      }),
    );
  }

  private async pull(queue: string): Promise<void> {
    if (!this.running || this.pulling.has(queue)) return;
    this.pulling.add(queue);
    try {
      const events = await this.events.claim(queue, CLAIM_BATCH);
      if (events.length === CLAIM_BATCH) this.more.add(queue);
      else this.more.delete(queue);
      for (const e of events) if (this.running) this.schedule(e);
    } catch (e) {
      this.d.log(`selfless: claiming async events of ${queue} failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.pulling.delete(queue);
    }
  }

  /** Accepts an event durably: resolves once it is committed (the caller answers 202 after that). */
  async enqueue(region: string, functionName: string, qualifier: string | undefined, payload: Buffer, requestId: string = uuid(), trace?: EventTrace): Promise<void> {
    const now = this.d.clock.now();
    const e: AsyncEvent = { id: requestId, workId: this.events.nextId(now), region, functionName, qualifier, payload, enqueuedAt: now, invokeCount: 0, retriesUsed: 0, nextAt: now, throttles: 0, ...(trace ? { trace } : {}) };
    await this.events.insert(e);
    this.stats.accepted++;
    if (this.running) this.schedule(e);
    else this.backlog.push(e);
  }

  /** Events accepted and not yet finished (in memory). */
  pending(): number {
    let n = this.backlog.length;
    for (const q of this.ready.values()) n += q.length;
    for (const c of this.inflight.values()) n += c;
    return n;
  }

  private key(e: AsyncEvent): string {
    return `${e.region}/${e.functionName}`;
  }

  private schedule(e: AsyncEvent): void {
    const wait = e.nextAt - this.d.clock.now();
    if (wait <= 0) {
      const k = this.key(e);
      let q = this.ready.get(k);
      if (!q) this.ready.set(k, (q = new Fifo()));
      q.push(e);
      this.pump(k);
      return;
    }
    const cancel = this.d.clock.setTimer(wait, () => {
      this.timers.delete(e);
      if (!this.running) return;
      e.nextAt = this.d.clock.now();
      this.schedule(e);
    });
    this.timers.set(e, cancel);
  }

  /**
   * The function was deleted: its pending events go with it (as on AWS), also those waiting for a retry, so that a
   * new function of the same name never receives them; an invocation in flight finishes without retry or outcome.
   */
  forget(region: string, functionName: string): void {
    const k = `${region}/${functionName}`;
    const mine = (e: AsyncEvent): boolean => e.region === region && e.functionName === functionName;
    const drop = (e: AsyncEvent): void => {
      e.dropped = true;
      this.events.remove(e);
    };
    this.limits.delete(k);
    const q = this.ready.get(k);
    if (q) {
      for (let e = q.shift(); e; e = q.shift()) drop(e);
      this.ready.delete(k);
    }
    for (const [e, cancel] of this.timers) {
      if (!mine(e)) continue;
      cancel();
      this.timers.delete(e);
      drop(e);
    }
    this.backlog = this.backlog.filter((e) => (mine(e) ? (drop(e), false) : true));
    for (const e of this.invoking.get(k) ?? []) drop(e);
    this.events.removeQueue(region, functionName);
  }

  private pump(k: string): void {
    const q = this.ready.get(k);
    if (!q || !this.running) return;
    let n = this.inflight.get(k) ?? 0;
    if (q.length === 0) {
      this.ready.delete(k);
      return;
    }
    // Running low on a queue that had more in the store than one claim took: take the next batch.
    if (q.length < CLAIM_BATCH / 4) {
      const head = q.peek();
      if (head && this.more.has(`async:${head.region}/${head.functionName}`)) void this.pull(`async:${head.region}/${head.functionName}`);
    }
    // Every slot busy (the common case under a backlog): nothing to resolve or start.
    let limit = this.limits.get(k);
    if (n >= (limit?.current ?? this.d.perFunctionConcurrency)) return;
    // One function per key, so one cap; the head's resolution is handed to its run (resolving costs as much as the
    // rest of the pump).
    let first: Resolved | undefined;
    let cap = 1;
    try {
      const head = q.peek()!;
      first = this.d.invoker.resolve(head.region, head.functionName, head.qualifier);
      const reserved = first.fn.reserved;
      cap = reserved !== undefined && reserved > 0 ? Math.min(reserved, this.d.perFunctionConcurrency) : this.d.perFunctionConcurrency;
      if (!limit) this.limits.set(k, (limit = new AdaptiveLimit(cap)));
      limit.setCap(cap);
      cap = limit.current;
    } catch {
      /* gone: run() drops its events one at a time */
    }
    while (q.length > 0) {
      if (n >= cap) break;
      const head = q.shift()!;
      n++;
      this.inflight.set(k, n);
      let set = this.invoking.get(k);
      if (!set) this.invoking.set(k, (set = new Set()));
      set.add(head);
      const resolved = first;
      first = undefined;
      this.run(head, resolved).then(
        () => this.finished(k, head),
        (err: unknown) => {
          this.d.log(`selfless: async event ${head.id} failed internally: ${err instanceof Error ? err.message : String(err)}`);
          this.finished(k, head);
        },
      );
    }
    if (q.length === 0) this.ready.delete(k);
  }

  private finished(k: string, e: AsyncEvent): void {
    const set = this.invoking.get(k);
    set?.delete(e);
    if (set?.size === 0) this.invoking.delete(k);
    const n = (this.inflight.get(k) ?? 1) - 1;
    if (n <= 0) this.inflight.delete(k);
    else this.inflight.set(k, n);
    if (!this.ready.get(k)?.length) this.limits.get(k)?.starve();
    this.pump(k);
  }

  private async run(e: AsyncEvent, pre?: Resolved): Promise<void> {
    const now = this.d.clock.now();
    let resolved: Resolved;
    try {
      resolved = pre ?? (await this.d.invoker.resolveFresh(e.region, e.functionName, e.qualifier));
    } catch (err) {
      // The function (or its alias) was deleted while the event waited: AWS drops such events.
      this.d.log(`selfless: dropping async event ${e.id} for ${e.functionName}: ${err instanceof Error ? err.message : String(err)}`);
      this.events.remove(e);
      return;
    }
    const policy = this.d.policy(e, resolved);
    if (now - e.enqueuedAt > policy.maxAgeSeconds * 1000) {
      await this.fail(e, resolved, policy, 'EventAgeExceeded', { statusCode: 429, errorCode: '429', errorMessage: 'Event age exceeded MaximumEventAgeInSeconds' });
      return;
    }
    if (resolved.fn.reserved === 0) {
      // A function with reserved concurrency 0 cannot run: AWS sends its events straight to the failure path.
      await this.fail(e, resolved, policy, 'RetriesExhausted', {
        statusCode: 429,
        errorCode: '429',
        errorMessage: 'Rate Exceeded. (ReservedFunctionConcurrentInvocationLimitExceeded)',
      });
      return;
    }
    let result: InvokeResult;
    try {
      result = await this.d.invoker.invoke({ region: e.region, functionName: e.functionName, resolved, payload: e.payload, requestId: e.id, traceHeader: e.trace?.header, source: e.trace?.source ?? 'lambda' });
    } catch (err) {
      // Stopping: the row stays and the event runs again after the next start (at least once).
      if (!this.running || e.dropped) return;
      await this.systemError(e, resolved, policy, err);
      return;
    }
    if (!this.running || e.dropped) return;
    this.limits.get(this.key(e))?.completed(this.d.clock.now(), result.durationMs ?? 0);
    e.invokeCount++;
    const response: ResponseInfo = { statusCode: 200, executedVersion: result.executedVersion, functionError: result.functionError, payload: result.payload };
    if (!result.functionError) {
      this.stats.succeeded++;
      if (policy.onSuccess && !(await this.deliverRecord(policy.onSuccess, invocationRecord(this.d.clock.now(), e, this.arnOf(e), 'Success', response), e, policy))) return;
      // Not awaited: the slot takes the next event while the delete rides the next group commit; stop() drains it.
      this.events.remove(e);
      return;
    }
    if (e.retriesUsed < policy.maxRetries) {
      e.retriesUsed++;
      this.stats.retried++;
      e.nextAt = this.d.clock.now() + this.d.retryDelaySeconds * 1000 * e.retriesUsed;
      this.events.progress(e);
      if (e.nextAt - e.enqueuedAt > policy.maxAgeSeconds * 1000) {
        // The retry would come too late: AWS discards the event as too old at that point.
        e.nextAt = e.enqueuedAt + policy.maxAgeSeconds * 1000 + 1;
      }
      this.schedule(e);
      return;
    }
    await this.fail(e, resolved, policy, 'RetriesExhausted', { ...response, errorCode: '200', errorMessage: errorMessageOf(result.payload) });
  }

  /** Throttles and system errors: back off (1 s doubling to 5 min) until the event is too old. */
  private async systemError(e: AsyncEvent, resolved: Resolved, policy: AsyncPolicy, err: unknown): Promise<void> {
    const aws = err instanceof AwsError ? err : undefined;
    if (aws && aws.status < 500 && aws.status !== 429) {
      // A request the function can never accept (e.g. it was deleted, or its code is gone): fail at once.
      await this.fail(e, resolved, policy, 'RetriesExhausted', { statusCode: aws.status, errorCode: String(aws.status), errorMessage: aws.message });
      return;
    }
    this.stats.throttled++;
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** e.throttles);
    e.throttles++;
    e.nextAt = this.d.clock.now() + backoff;
    if (e.nextAt - e.enqueuedAt > policy.maxAgeSeconds * 1000) {
      await this.fail(e, resolved, policy, 'EventAgeExceeded', {
        statusCode: aws?.status ?? 500,
        errorCode: String(aws?.status ?? 500),
        errorMessage: aws?.message ?? 'Service error',
      });
      return;
    }
    this.events.progress(e);
    this.schedule(e);
  }

  private async fail(e: AsyncEvent, resolved: Resolved, policy: AsyncPolicy, condition: Condition, response: ResponseInfo & { errorCode: string; errorMessage: string }): Promise<void> {
    this.stats.failed++;
    if (policy.deadLetter) {
      const m = deadLetterMessage(e, response.errorCode, response.errorMessage);
      const target = policy.deadLetter;
      const sent = await this.untilDelivered(`dead-letter delivery of ${e.id} to ${target}`, e, policy, async () => {
        if (target.split(':')[2] === 'sns') await this.publish(target, m.body, m.messageAttributes);
        else await this.d.queues.send(target, m);
      });
      if (!sent) return;
    }
    if (policy.onFailure && !(await this.deliverRecord(policy.onFailure, invocationRecord(this.d.clock.now(), e, this.arnOf(e), condition, response), e, policy))) return;
    void resolved;
    this.events.remove(e);
  }

  /**
   * Runs one delivery (a destination record, a dead-letter message) until it is durable at its target; only then may
   * the event's row go (its removal is the event's "done"). A delivery the target refuses for good (no such queue or
   * topic, access denied: a 4xx) is dropped and logged, as AWS drops it (DestinationDeliveryFailures). A failure that
   * passes (a full disk, a store or 5xx error, a throttle) is retried on the clock, 1 s doubling to 5 min, until it
   * succeeds or the event is older than MaximumEventAgeInSeconds. Returns false when the worker stopped (or the event
   * was dropped) meanwhile: the row stays, and the event runs again after the next start (at least once).
   */
  private async untilDelivered(what: string, e: AsyncEvent, policy: AsyncPolicy, deliver: () => Promise<void>): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await deliver();
        return true;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        const passing = isStorageFull(err) || (!(err instanceof Undeliverable) && (!(err instanceof AwsError) || err.status >= 500 || err.status === 429));
        if (!passing) {
          this.d.log(`selfless: ${what} failed: ${msg}`);
          return true;
        }
        const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
        if (this.d.clock.now() + wait - e.enqueuedAt > policy.maxAgeSeconds * 1000) {
          this.d.log(`selfless: ${what} failed, given up at MaximumEventAgeInSeconds: ${msg}`);
          return true;
        }
        if (attempt === 0 || attempt % 10 === 0) this.d.log(`selfless: ${what} failed (retrying): ${msg}`);
        await new Promise<void>((r) => {
          const wake = (): void => {
            this.wakeOnStop.delete(wake);
            cancel();
            r();
          };
          const cancel = this.d.clock.setTimer(wait, wake);
          this.wakeOnStop.add(wake);
        });
        if (!this.running || e.dropped) return false;
      }
    }
  }

  private arnOf(e: AsyncEvent): string {
    return `arn:aws:lambda:${e.region}:${this.d.accountId}:function:${e.functionName}:${e.qualifier ?? '$LATEST'}`;
  }

  /** Publishes to an SNS topic (a destination or dead-letter target), as AWS does with the function's role. */
  private async publish(topicArn: string, message: string, messageAttributes?: Record<string, { DataType: string; StringValue?: string }>): Promise<void> {
    if (!this.d.sns) throw new Undeliverable('SNS is not available');
    await this.d.sns.publish(topicArn.split(':')[3] ?? '', { topicArn, message, ...(messageAttributes ? { messageAttributes } : {}) });
  }

  /** Sends an invocation record to an SQS queue, an SNS topic or (asynchronously) to another function; see untilDelivered. */
  private deliverRecord(destination: string, record: Record<string, unknown>, e: AsyncEvent, policy: AsyncPolicy): Promise<boolean> {
    const body = JSON.stringify(record);
    return this.untilDelivered(`delivery to ${destination}`, e, policy, async () => {
      const p = destination.split(':');
      if (p[2] === 'sqs') {
        await this.d.queues.send(destination, { body });
      } else if (p[2] === 'sns') {
        await this.publish(destination, body);
      } else if (p[2] === 'lambda' && p[5] === 'function' && p[3] && p[6]) {
        await this.enqueue(p[3], p[6], p[7], Buffer.from(body));
      } else if (p[2] === 'events' && p[3] && this.d.events) {
        // AWS puts the record on the bus as the event's detail.
        const success = (record['requestContext'] as { condition?: string } | undefined)?.condition === 'Success';
        const fn = (record['requestContext'] as { functionArn?: string } | undefined)?.functionArn;
        const r = await this.d.events.putEvents(p[3], [
          { Source: 'lambda', DetailType: `Lambda Function Invocation Result - ${success ? 'Success' : 'Failure'}`, Detail: body, EventBusName: destination, Resources: [destination, ...(fn ? [fn] : [])] },
        ]);
        const entry = r.Entries[0];
        if (entry && 'ErrorCode' in entry) {
          const msg = `${entry.ErrorCode}: ${entry.ErrorMessage}`;
          throw /InternalFailure|Throttl/.test(String(entry.ErrorCode)) ? new Error(msg) : new Undeliverable(msg);
        }
      } else {
        throw new Undeliverable('unsupported destination type');
      }
    });
  }
}

function errorMessageOf(payload: Buffer): string {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { errorMessage?: unknown };
    if (v && typeof v.errorMessage === 'string') return v.errorMessage;
  } catch {
    /* not JSON: use the raw text */
  }
  return payload.toString('utf8');
}
