// One shard of a stream mapping: reads from the checkpoint, batches (BatchSize, batching window, 6 MB), filters,
// invokes synchronously in ParallelizationFactor lanes (one partition key per lane, in order), retries and bisects
// failed batches, discards what exhausted its retries or aged out to OnFailure, checkpoints after each batch, and
// runs tumbling windows (state carried between invocations, a final invocation per window).
import type { Clock } from '../../../lib/clock.js';
import { AwsError, isStorageFull } from '../../../lib/errors.js';
import { uuid } from '../../../lib/ids.js';
import { matches } from '../../../lib/event-pattern.js';
import type { ShardPosition, ShardStreamSource, StreamRecordRead } from '../../../lib/shard-stream.js';
import type { LambdaInvoker } from '../invoker.js';
import type { Checkpoints, ShardCheckpoint } from './stream-poller.js';
import { eventRecord, failureRecord, filterView, laneOf, parseResponse, streamItemFailures, windowFields, windowOf, type FailureCondition, type StreamSourceName, type Window } from './stream-records.js';

export interface StreamMappingConfig {
  uuid: string;
  region: string;
  functionName: string;
  qualifier?: string;
  /** The mapping's FunctionArn (failure records name it). */
  functionArn: string;
  batchSize: number;
  batchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
  /** Parsed FilterCriteria patterns; empty = everything passes. */
  filters: Record<string, unknown>[];
  source: StreamSourceName;
  streamArn: string;
  /** Where a shard without a checkpoint starts (LATEST is pinned to the mapping's creation time as AT_TIMESTAMP). */
  startingPosition: ShardPosition;
  parallelization: number;
  /** -1 = until the record expires. */
  maxRetries: number;
  /** -1 = no limit. */
  maxRecordAgeSeconds: number;
  bisect: boolean;
  onFailure?: string;
  tumblingWindowSeconds: number;
}

export interface ShardWorkerDeps {
  clock: Clock;
  invoker: LambdaInvoker;
  source: ShardStreamSource;
  checkpoints: Checkpoints;
  /** Sends a failure record to an SQS queue or SNS topic. */
  deliver(destination: string, body: string): Promise<void>;
  log(msg: string): void;
  onResult?(result: string): void;
}

const MAX_PAYLOAD = 6 * 1024 * 1024;
/** Room left in the 6 MB payload for the event's envelope. */
const ENVELOPE_BYTES = 64 * 1024;
const IDLE_POLL_MS = 1000;
const MISSING_FUNCTION_POLL_MS = 5000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

export type Outcome =
  | { kind: 'ok'; response: unknown }
  | { kind: 'partial'; index: number }
  | { kind: 'error'; result: { statusCode: number; executedVersion: string; functionError?: string } }
  | { kind: 'unavailable' };

interface Segment {
  records: StreamRecordRead[];
  /** Failed invocations that count toward MaximumRetryAttempts. */
  retries: number;
  invokes: number;
  last?: { statusCode: number; executedVersion: string; functionError?: string };
}

export const after = (r: StreamRecordRead): ShardPosition => ({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: r.sequenceNumber });

export class ShardWorker {
  running = false;
  private wakers = new Set<() => void>();
  private roleArn = '';
  private done: Promise<void> = Promise.resolve();
  /** The epoch of this worker's claim on the shard's checkpoint: its fencing token. */
  private epoch = 0;

  constructor(
    readonly d: ShardWorkerDeps,
    readonly c: StreamMappingConfig,
    readonly shardId: string,
    /** Called once the shard is finished (closed and fully processed) or the worker lost its lease. */
    private readonly onExit: (ended: boolean) => void,
  ) {}

  start(): void {
    this.running = true;
    this.done = this.loop()
      .then((ended) => this.onExit(ended))
      .catch((e: unknown) => {
        this.d.log(`selfless: event source mapping ${this.c.uuid} shard ${this.shardId}: ${e instanceof Error ? e.message : String(e)}`);
        this.onExit(false);
      });
  }

  async stop(wait = true): Promise<void> {
    this.running = false;
    this.wake();
    if (wait) await this.done;
  }

  wake(): void {
    const w = [...this.wakers];
    this.wakers.clear();
    for (const f of w) f();
  }

  /** Resolves on a wake-up (the stream grew), after `ms` of clock time, or on stop. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let cancel: () => void = () => undefined;
      const fire = (): void => {
        cancel();
        this.wakers.delete(fire);
        resolve();
      };
      this.wakers.add(fire);
      cancel = this.d.clock.setTimer(ms, fire);
    });
  }

  /** Waits `ms` of clock time regardless of wake-ups (retry backoff), or until stop. */
  async sleep(ms: number): Promise<void> {
    const until = this.d.clock.now() + ms;
    while (this.running && this.d.clock.now() < until) await this.wait(until - this.d.clock.now());
  }

  /** Saves a checkpoint; false when a newer holder of the shard's lease has written (this worker must stop). */
  async save(cp: ShardCheckpoint): Promise<boolean> {
    const ok = await this.d.checkpoints.save(this.c.uuid, this.shardId, cp, this.epoch);
    if (!ok) {
      this.d.log(`selfless: event source mapping ${this.c.uuid} shard ${this.shardId}: another node took the shard over; stopping here`);
      this.running = false;
    }
    return ok;
  }

  private functionExists(): boolean {
    try {
      const r = this.d.invoker.resolve(this.c.region, this.c.functionName, this.c.qualifier);
      this.roleArn = r.config.Role;
      return true;
    } catch (e) {
      if (!(e instanceof AwsError) || e.status !== 404) return true;
      this.d.onResult?.('PROBLEM: Function not found.');
      return false;
    }
  }

  /** Returns true when the shard ended (closed and processed), false when stopped. */
  private async loop(): Promise<boolean> {
    const claim = await this.d.checkpoints.claim(this.c.uuid, this.shardId, this.c.startingPosition);
    this.epoch = claim.epoch;
    const cp: ShardCheckpoint = claim.checkpoint;
    while (this.running) {
      if (cp.ended) return true;
      if (!this.functionExists()) {
        await this.sleep(MISSING_FUNCTION_POLL_MS);
        continue;
      }
      try {
        const progressed = this.c.tumblingWindowSeconds > 0 ? await runTumbling(this, cp) : await this.step(cp);
        if (!progressed && this.running && !cp.ended) await this.wait(IDLE_POLL_MS);
      } catch (e) {
        this.d.log(`selfless: event source mapping ${this.c.uuid} shard ${this.shardId}: ${e instanceof Error ? e.message : String(e)}`);
        if (this.running) await this.wait(IDLE_POLL_MS);
      }
    }
    return false;
  }

  /**
   * Reads up to `limit` records from `from`, waiting up to the batching window for a fuller batch, and keeps
   * within the 6 MB payload. `shardEnded` is true only when everything up to the shard's end is in `records`.
   */
  async collect(from: ShardPosition, limit: number): Promise<{ records: StreamRecordRead[]; next: ShardPosition; shardEnded: boolean }> {
    const first = await this.d.source.read(this.c.streamArn, this.shardId, from, limit);
    const records = [...first.records];
    let next = first.next;
    let ended = first.shardEnded;
    if (records.length > 0 && this.c.batchingWindowSeconds > 0) {
      const deadline = this.d.clock.now() + this.c.batchingWindowSeconds * 1000;
      while (this.running && records.length < limit && !ended && this.d.clock.now() < deadline) {
        await this.wait(deadline - this.d.clock.now());
        const more = await this.d.source.read(this.c.streamArn, this.shardId, next, limit - records.length);
        records.push(...more.records);
        next = more.next;
        ended = more.shardEnded;
      }
    }
    let size = 0;
    for (let i = 0; i < records.length; i++) {
      size += records[i]!.sizeBytes;
      if (i > 0 && size > MAX_PAYLOAD - ENVELOPE_BYTES) {
        records.length = i;
        return { records, next: after(records[i - 1]!), shardEnded: false };
      }
    }
    return { records, next, shardEnded: ended };
  }

  passes(r: StreamRecordRead): boolean {
    return this.c.filters.length === 0 || this.c.filters.some((f) => matches(f as never, filterView(r, this.c.source) as never));
  }

  /** One batch without tumbling windows; returns whether anything was read. */
  private async step(cp: ShardCheckpoint): Promise<boolean> {
    const lanes = Math.max(1, this.c.parallelization);
    const got = await this.collect(cp.position, this.c.batchSize * lanes);
    if (got.records.length === 0) {
      if (got.shardEnded) await this.save(Object.assign(cp, { ended: true }));
      return false;
    }
    const kept = got.records.filter((r) => this.passes(r));
    const byLane: StreamRecordRead[][] = Array.from({ length: lanes }, () => []);
    for (const r of kept) byLane[lanes === 1 ? 0 : laneOf(r.partitionKey, lanes)]!.push(r);
    // With one lane the checkpoint follows each processed prefix (a partial batch response checkpoints before
    // the first failed record); with several, once every lane is through.
    const progress = lanes === 1 ? async (r: StreamRecordRead) => void (await this.save(Object.assign(cp, { position: after(r) }))) : async () => undefined;
    const results = await Promise.all(
      byLane.map(async (lane) => {
        let ok = true;
        for (let i = 0; i < lane.length && this.running; i += this.c.batchSize) {
          ok = (await this.processBatch(lane.slice(i, i + this.c.batchSize), (recs) => this.invokeRecords(recs), progress)) && ok;
        }
        return ok;
      }),
    );
    if (!this.running) return true;
    const last = got.records[got.records.length - 1]!;
    await this.save(Object.assign(cp, { position: got.shardEnded ? got.next : after(last), ended: got.shardEnded }));
    this.d.onResult?.(results.every(Boolean) ? 'OK' : 'PROBLEM: Function call failed');
    return true;
  }

  /** Invokes the function with a plain batch and reads a partial batch response when that is on. */
  async invokeRecords(records: readonly StreamRecordRead[], extra?: Record<string, unknown>, check?: (response: unknown) => boolean): Promise<Outcome> {
    const ctx = { source: this.c.source, streamArn: this.c.streamArn, region: this.c.region, shardId: this.shardId, roleArn: this.roleArn };
    const event = { Records: records.map((r) => eventRecord(r, ctx)), ...extra };
    let result;
    try {
      result = await this.d.invoker.invoke({ region: this.c.region, functionName: this.c.functionName, qualifier: this.c.qualifier, payload: Buffer.from(JSON.stringify(event)), requestId: uuid() });
    } catch (e) {
      // Throttles, a missing function, a system error: retried until the records expire, not counted.
      if (!(e instanceof AwsError) || (e.status !== 429 && e.status < 500)) this.d.log(`selfless: event source mapping ${this.c.uuid} cannot invoke ${this.c.functionName}: ${e instanceof Error ? e.message : String(e)}`);
      return { kind: 'unavailable' };
    }
    const meta = { statusCode: 200, executedVersion: result.executedVersion };
    if (result.functionError) return { kind: 'error', result: { ...meta, functionError: result.functionError } };
    const response = parseResponse(result.payload);
    if (check && !check(response)) return { kind: 'error', result: meta };
    if (this.c.reportBatchItemFailures) {
      const f = streamItemFailures(response, records.map((r) => r.sequenceNumber));
      if (f.kind === 'all') return { kind: 'error', result: meta };
      if (f.kind === 'from') return { kind: 'partial', index: f.index };
    }
    return { kind: 'ok', response };
  }

  /**
   * Runs one batch to completion: retried on function errors (bisected first when BisectBatchOnFunctionError is
   * on, which does not count as a retry), resumed at the first failed record of a partial response, and discarded
   * to OnFailure when MaximumRetryAttempts or MaximumRecordAgeInSeconds says so. Returns whether all succeeded.
   */
  async processBatch(
    records: StreamRecordRead[],
    invoke: (records: StreamRecordRead[]) => Promise<Outcome>,
    progress: (last: StreamRecordRead) => Promise<void>,
  ): Promise<boolean> {
    const segments: Segment[] = records.length > 0 ? [{ records, retries: 0, invokes: 0 }] : [];
    let allOk = true;
    let unavailable = 0;
    while (segments.length > 0 && this.running) {
      const seg = segments[0]!;
      if (this.c.maxRecordAgeSeconds >= 0) {
        const limit = this.d.clock.now() - this.c.maxRecordAgeSeconds * 1000;
        const stale = seg.records.filter((r) => r.approximateArrivalMs < limit);
        if (stale.length > 0) {
          allOk = false;
          await this.discard(stale, 'RecordAgeExceeded', seg);
          seg.records = seg.records.filter((r) => r.approximateArrivalMs >= limit);
          await progress(stale[stale.length - 1]!);
          if (seg.records.length === 0) segments.shift();
          continue;
        }
      }
      const out = await invoke(seg.records);
      if (out.kind === 'unavailable') {
        await this.sleep(Math.min(RETRY_BASE_MS * 2 ** unavailable++, RETRY_MAX_MS));
        continue;
      }
      unavailable = 0;
      seg.invokes++;
      if (out.kind === 'ok') {
        segments.shift();
        await progress(seg.records[seg.records.length - 1]!);
        continue;
      }
      allOk = false;
      if (out.kind === 'partial') {
        if (out.index > 0) await progress(seg.records[out.index - 1]!);
        seg.records = seg.records.slice(out.index);
      } else {
        seg.last = out.result;
        if (this.c.bisect && seg.records.length > 1) {
          const half = Math.ceil(seg.records.length / 2);
          segments.splice(0, 1, { ...seg, records: seg.records.slice(0, half) }, { ...seg, records: seg.records.slice(half) });
          continue;
        }
      }
      seg.retries++;
      if (this.c.maxRetries >= 0 && seg.retries > this.c.maxRetries) {
        await this.discard(seg.records, 'RetryAttemptsExhausted', seg);
        await progress(seg.records[seg.records.length - 1]!);
        segments.shift();
        continue;
      }
      await this.sleep(Math.min(RETRY_BASE_MS * 2 ** (seg.retries - 1), RETRY_MAX_MS));
    }
    return allOk;
  }

  /** Skips records for good: their batch's metadata goes to the OnFailure destination, when there is one. */
  private async discard(records: readonly StreamRecordRead[], condition: FailureCondition, seg: Segment): Promise<void> {
    const first = records[0]?.sequenceNumber;
    const last = records[records.length - 1]?.sequenceNumber;
    this.d.log(`selfless: event source mapping ${this.c.uuid} shard ${this.shardId}: discarding records ${first}..${last} (${condition})`);
    if (!this.c.onFailure) return;
    const body = failureRecord({
      requestId: uuid(),
      functionArn: this.c.functionArn,
      condition,
      invokeCount: seg.invokes,
      ...(seg.last ? { response: seg.last } : {}),
      nowMs: this.d.clock.now(),
      source: this.c.source,
      shardId: this.shardId,
      streamArn: this.c.streamArn,
      records,
    });
    // The checkpoint moves past the records only once their failure record is durable at the destination: a failure
    // that passes (a full disk, a store or 5xx error, a throttle) is retried with backoff; one the destination refuses
    // for good (a 4xx: no such queue) is logged and the records go without it, as AWS does. Stopped meanwhile: throws,
    // so no checkpoint is saved and the records are read again after the next start.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.d.deliver(this.c.onFailure, JSON.stringify(body));
        return;
      } catch (e) {
        const msg = `selfless: event source mapping ${this.c.uuid}: delivering to ${this.c.onFailure}: ${e instanceof Error ? e.message : String(e)}`;
        const passing = isStorageFull(e) || !(e instanceof AwsError) || e.status >= 500 || e.status === 429;
        if (!passing) return this.d.log(msg);
        if (attempt === 0 || attempt % 10 === 0) this.d.log(`${msg} (retrying)`);
        await this.sleep(Math.min(RETRY_BASE_MS * 2 ** attempt, RETRY_MAX_MS));
        if (!this.running) throw new Error(`stopped before the failure record of ${first}..${last} was delivered; the records are read again after the next start`);
      }
    }
  }

  windowFor(r: StreamRecordRead): Window {
    return windowOf(r.approximateArrivalMs, this.c.tumblingWindowSeconds);
  }

  windowEvent(w: Window, state: unknown, final: boolean): Record<string, unknown> {
    return windowFields(w, state, this.shardId, this.c.streamArn, final);
  }
}

// Tumbling windows (TumblingWindowInSeconds): batches never cross a window, each invocation gets the state the
// previous one returned (a response without `state` is a failure), and a window closes with a final invocation
// (isFinalInvokeForWindow) once a later record appears or its end has passed; the state is then dropped.

const hasState = (response: unknown): boolean => response !== null && typeof response === 'object' && !Array.isArray(response) && 'state' in response;

/** One step of a tumbling-window shard; returns whether anything happened (else the worker idles). */
async function runTumbling(w: ShardWorker, cp: ShardCheckpoint): Promise<boolean> {
  const got = await w.collect(cp.position, w.c.batchSize);
  const open = cp.window;
  const head = got.records[0];
  const now = w.d.clock.now();
  if (open && (head ? head.approximateArrivalMs >= open.endMs : now >= open.endMs || got.shardEnded)) {
    await finalInvoke(w, cp);
    return true;
  }
  if (!head) {
    if (got.shardEnded) await w.save(Object.assign(cp, { ended: true }));
    return false;
  }
  const win = open ? { startMs: open.startMs, endMs: open.endMs } : w.windowFor(head);
  const inWindow: StreamRecordRead[] = [];
  for (const r of got.records) {
    if (r.approximateArrivalMs >= win.endMs) break;
    inWindow.push(r);
  }
  const wholeRead = inWindow.length === got.records.length;
  const kept = inWindow.filter((r) => w.passes(r));
  let state: unknown = open?.state ?? {};
  let opened = open !== undefined;
  const invoke = async (records: StreamRecordRead[]): Promise<Outcome> => {
    const out = await w.invokeRecords(records, w.windowEvent(win, state, false), hasState);
    if (out.kind === 'ok') {
      state = (out.response as { state: unknown }).state;
      opened = true;
    }
    return out;
  };
  const progress = async (r: StreamRecordRead): Promise<void> => {
    await w.save(Object.assign(cp, { position: after(r), ...(opened ? { window: { ...win, state } } : {}) }));
  };
  const ok = await w.processBatch(kept, invoke, progress);
  if (!w.running) return true;
  const last = inWindow[inWindow.length - 1]!;
  const ended = wholeRead && got.shardEnded;
  await w.save(Object.assign(cp, { position: ended ? got.next : after(last), ...(opened ? { window: { ...win, state } } : {}) }));
  w.d.onResult?.(ok ? 'OK' : 'PROBLEM: Function call failed');
  return true;
}

/** Invokes the window's final aggregation until it succeeds (the shard waits meanwhile), then closes the window. */
async function finalInvoke(w: ShardWorker, cp: ShardCheckpoint): Promise<void> {
  const open = cp.window!;
  let failures = 0;
  while (w.running) {
    const out = await w.invokeRecords([], w.windowEvent(open, open.state, true));
    if (out.kind === 'ok') {
      delete cp.window;
      await w.save(cp);
      return;
    }
    await w.sleep(Math.min(RETRY_BASE_MS * 2 ** failures++, RETRY_MAX_MS));
  }
}
