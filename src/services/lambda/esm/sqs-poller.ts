// The SQS event source poller: receives batches (BatchSize, batching window, 6 MB), filters them, invokes the
// function synchronously with AWS's SQS event, deletes what succeeded and leaves failures to the queue's
// visibility timeout and redrive policy.
import type { Clock } from '../../../lib/clock.js';
import { AwsError } from '../../../lib/errors.js';
import { uuid } from '../../../lib/ids.js';
import type { LambdaInvoker, Resolved } from '../invoker.js';
import type { RecursionControl } from '../recursion.js';
import { filterView, sqsRecord, type QueueBroker, type ReceivedMessage } from '../../sqs/index.js';
import { matches } from '../../../lib/event-pattern.js';

export interface PollerConfig {
  uuid: string;
  queueArn: string;
  region: string;
  functionName: string;
  qualifier?: string;
  batchSize: number;
  batchingWindowSeconds: number;
  /** Batches in flight at once (ScalingConfig.MaximumConcurrency, capped). */
  concurrency: number;
  reportBatchItemFailures: boolean;
  /** Parsed FilterCriteria patterns; empty = everything passes. */
  filters: Record<string, unknown>[];
}

/** Recursive loop detection (RecursionControl): the header a message's invocation runs with, or a throw to stop it. */
export type LoopAdmission = Pick<RecursionControl, 'admit'>;

export interface PollerDeps {
  clock: Clock;
  queues: QueueBroker;
  invoker: LambdaInvoker;
  /** Absent (unit tests of the poller alone): every message's invocation starts a new chain. */
  recursion?: LoopAdmission;
  log(msg: string): void;
  /** Reports the outcome of each batch (LastProcessingResult). */
  onResult?(uuid: string, result: string): void;
}

const MAX_PAYLOAD = 6 * 1024 * 1024;
/** How long an idle slot waits for a notification before polling again anyway. */
const IDLE_POLL_MS = 1000;
/** How often a mapping whose function was deleted looks for a function of that name again. */
const MISSING_FUNCTION_POLL_MS = 5000;
export const FUNCTION_NOT_FOUND = 'PROBLEM: Function not found.';

export class SqsPoller {
  private running = false;
  private slots: Promise<void>[] = [];
  private wakers = new Set<() => void>();
  private unsubscribe: (() => void) | undefined;
  private missing = false;

  constructor(
    private readonly d: PollerDeps,
    readonly config: PollerConfig,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.d.queues.onAvailable(this.config.queueArn, () => this.wake());
    for (let i = 0; i < this.config.concurrency; i++) this.slots.push(this.slot());
  }

  /** Stops polling; with `wait`, resolves once batches in flight are settled (AWS's Disabling lasts that long). */
  async stop(wait = true): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake();
    const slots = this.slots;
    this.slots = [];
    if (wait) await Promise.all(slots);
  }

  private wake(): void {
    const w = [...this.wakers];
    this.wakers.clear();
    for (const f of w) f();
  }

  /** Resolves on a queue notification, after `ms` of clock time, or on stop. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let cancel: () => void = () => undefined;
      const done = (): void => {
        cancel();
        this.wakers.delete(done);
        resolve();
      };
      this.wakers.add(done);
      cancel = this.d.clock.setTimer(ms, done);
    });
  }

  /**
   * Whether the mapping's function exists. A mapping outlives its function (DeleteFunction leaves it, as on AWS):
   * until a function of that name exists again it receives nothing, so the queue's messages are neither consumed
   * nor counted as received (and not redriven to a dead-letter queue).
   */
  private functionExists(): boolean {
    const c = this.config;
    try {
      this.d.invoker.resolve(c.region, c.functionName, c.qualifier);
      if (this.missing) this.d.log(`selfless: event source mapping ${c.uuid}: function ${c.functionName} exists again; polling resumes`);
      this.missing = false;
      return true;
    } catch (e) {
      // Anything but "not found" is for the invocation to report.
      if (!(e instanceof AwsError) || e.status !== 404) return true;
      if (!this.missing) {
        this.d.log(`selfless: event source mapping ${c.uuid}: function ${c.functionName} not found; the queue is not polled until it exists again`);
        this.d.onResult?.(c.uuid, FUNCTION_NOT_FOUND);
      }
      this.missing = true;
      return false;
    }
  }

  /** Waits `ms` of clock time (queue notifications do not cut it short), or until stop. */
  private async sleep(ms: number): Promise<void> {
    const until = this.d.clock.now() + ms;
    while (this.running && this.d.clock.now() < until) await this.wait(until - this.d.clock.now());
  }

  private async slot(): Promise<void> {
    while (this.running) {
      try {
        if (!this.functionExists()) {
          await this.sleep(MISSING_FUNCTION_POLL_MS);
          continue;
        }
        const batch = await this.collect();
        if (batch.length === 0) {
          if (this.running) await this.wait(IDLE_POLL_MS);
          continue;
        }
        const backoff = await this.process(batch);
        if (backoff > 0 && this.running) await this.wait(backoff);
      } catch (e) {
        this.d.log(`selfless: event source mapping ${this.config.uuid}: ${e instanceof Error ? e.message : String(e)}`);
        if (this.running) await this.wait(IDLE_POLL_MS);
      }
    }
  }

  /** Receives up to BatchSize messages, waiting up to the batching window for a fuller batch. */
  private async collect(): Promise<ReceivedMessage[]> {
    const c = this.config;
    const out = await this.d.queues.receive(c.queueArn, c.batchSize, { waitMs: 0 });
    if (out.length === 0 || c.batchingWindowSeconds === 0) return out;
    const deadline = this.d.clock.now() + c.batchingWindowSeconds * 1000;
    let size = out.reduce((n, m) => n + m.body.length, 0);
    while (this.running && out.length < c.batchSize && size < MAX_PAYLOAD) {
      const left = deadline - this.d.clock.now();
      if (left <= 0) break;
      await this.wait(left);
      const more = await this.d.queues.receive(c.queueArn, c.batchSize - out.length, { waitMs: 0 });
      for (const m of more) size += m.body.length;
      out.push(...more);
    }
    return out;
  }

  /** Runs one batch; returns a backoff in ms (throttles and system errors), else 0. */
  private async process(batch: ReceivedMessage[]): Promise<number> {
    const c = this.config;
    const records: Record<string, unknown>[] = [];
    const filteredOut: string[] = [];
    for (const m of batch) {
      const rec = sqsRecord(m, c.queueArn);
      if (c.filters.length === 0 || c.filters.some((f) => matches(f as never, filterView(rec) as never))) records.push(rec);
      // Lambda deletes SQS messages that match none of the filters.
      else filteredOut.push(m.receiptHandle);
    }
    if (filteredOut.length > 0) await this.d.queues.deleteMessages(c.queueArn, filteredOut);
    if (records.length === 0) return 0;
    let failed: Set<string>;
    try {
      const resolved = this.d.invoker.resolve(c.region, c.functionName, c.qualifier);
      const admitted = await this.admitLoops(resolved, records);
      if (admitted === undefined) return 0;
      const result = await this.d.invoker.invoke({
        region: c.region,
        functionName: c.functionName,
        resolved,
        payload: Buffer.from(JSON.stringify({ Records: records })),
        requestId: uuid(),
        ...(admitted.traceId !== undefined ? { traceId: admitted.traceId } : {}),
      });
      if (result.functionError) failed = new Set(records.map((r) => r['messageId'] as string));
      else failed = c.reportBatchItemFailures ? itemFailures(result.payload, records) : new Set();
    } catch (e) {
      // Throttled or unavailable: the batch becomes visible again after the visibility timeout.
      this.d.onResult?.(c.uuid, 'PROBLEM: Function call failed');
      if (!(e instanceof AwsError) || e.status === 429 || e.status >= 500) return 1000;
      this.d.log(`selfless: event source mapping ${c.uuid} cannot invoke ${c.functionName}: ${e.message}`);
      return IDLE_POLL_MS * 5;
    }
    const done = records.filter((r) => !failed.has(r['messageId'] as string)).map((r) => r['receiptHandle'] as string);
    if (done.length > 0) await this.d.queues.deleteMessages(c.queueArn, done);
    this.d.onResult?.(c.uuid, failed.size > 0 ? 'PROBLEM: Function call failed' : 'OK');
    return 0;
  }

  /**
   * Recursive loop detection, per message (each carries its sender's trace header as AWSTraceHeader): a message whose
   * chain is stopped leaves the batch and goes to the queue's dead-letter queue now, or is deleted when the queue has
   * none. Returns the header the invocation runs with (the longest chain of the batch's messages), or undefined when
   * no message is left to invoke with. `records` is filtered in place.
   */
  private async admitLoops(resolved: Resolved, records: Record<string, unknown>[]): Promise<{ traceId?: string } | undefined> {
    if (!this.d.recursion) return {};
    const stopped: string[] = [];
    let best: { header: string; loops: number } | undefined;
    for (let i = records.length - 1; i >= 0; i--) {
      const rec = records[i]!;
      const incoming = (rec['attributes'] as Record<string, string> | undefined)?.['AWSTraceHeader'];
      try {
        const next = await this.d.recursion.admit(resolved, incoming, 'sqs');
        if (!best || next.loops > best.loops) best = next;
      } catch (e) {
        if (!(e instanceof AwsError) || e.code !== 'RecursiveInvocationException') throw e;
        stopped.push(rec['receiptHandle'] as string);
        records.splice(i, 1);
      }
    }
    if (stopped.length > 0 && !((await this.d.queues.moveToDeadLetter?.(this.config.queueArn, stopped)) ?? false)) await this.d.queues.deleteMessages(this.config.queueArn, stopped);
    return records.length > 0 ? (best ? { traceId: best.header } : {}) : undefined;
  }
}

/**
 * Reads a partial batch response: `{"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}`. An empty or null
 * response is complete success; anything malformed (or naming a message not in the batch) fails the whole batch.
 */
export function itemFailures(payload: Buffer, records: Record<string, unknown>[]): Set<string> {
  const all = new Set(records.map((r) => r['messageId'] as string));
  const text = payload.toString('utf8').trim();
  if (text === '' || text === 'null') return new Set();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return all;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return all;
  const list = (v as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return all;
  const failed = new Set<string>();
  for (const item of list) {
    const id = item && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '' || !all.has(id)) return all;
    failed.add(id);
  }
  return failed;
}
