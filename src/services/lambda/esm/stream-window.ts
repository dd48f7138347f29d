// Tumbling windows (TumblingWindowInSeconds): batches never cross a window, each invocation gets the state the
// previous one returned (a response without `state` is a failure), and a window closes with a final invocation
// (isFinalInvokeForWindow) once a later record appears or its end has passed; the state is then dropped.
import type { ShardCheckpoint } from './stream-checkpoints.js';
import { after, type Outcome, type ShardWorker } from './stream-shard.js';
import type { StreamRecordRead } from '../../../lib/shard-stream.js';

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

const hasState = (response: unknown): boolean => response !== null && typeof response === 'object' && !Array.isArray(response) && 'state' in response;

/** One step of a tumbling-window shard; returns whether anything happened (else the worker idles). */
export async function runTumbling(w: ShardWorker, cp: ShardCheckpoint): Promise<boolean> {
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
