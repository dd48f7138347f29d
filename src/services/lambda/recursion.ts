// Recursive loop detection: each function's RecursiveLoop setting (Allow | Terminate, stored durably), the Lineage
// count an invocation runs with, and what happens when a chain of requests passes 16 invocations (docs/recursion.md).
import { AwsError } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import { nextInvocationHeader } from '../../lib/trace-header.js';
import type { LogSink } from '../../engine/types.js';
import type { Notifier } from '../../store/notifier.js';
import type { Store } from '../../store/store.js';
import { announce, reloadOnPeers } from './peers.js';
import type { Resolved } from './invoker.js';

const CHANNEL = 'lambda:recursion';

/** AWS stops the invocation after 16 in one chain of requests: loop counts 0..15 run, 16 is stopped. */
export const MAX_CHAIN_INVOCATIONS = 16;

export type RecursiveLoop = 'Allow' | 'Terminate';

export const RECURSION_MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE lambda_recursion (
      region TEXT NOT NULL,
      function_name TEXT NOT NULL,
      recursive_loop TEXT,
      dropped INTEGER NOT NULL DEFAULT 0,
      last_dropped INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (region, function_name)
    )`,
  },
];

/** What the selfless stats route shows: AWS's RecursiveInvocationsDropped metric, counted in the store. */
export interface RecursionStats {
  RecursiveLoop: RecursiveLoop;
  RecursiveInvocationsDropped: number;
  /** Epoch seconds of the last one, absent when none was dropped. */
  LastDropped?: number;
}

/** Where an invocation came from (the notification names it). */
export type InvocationSource = 'sqs' | 'sns' | 's3' | 'lambda';

const key = (region: string, name: string): string => `${region}\u0000${name}`;

export class RecursionControl {
  private readonly loops = new Map<string, RecursiveLoop>();
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logs: LogSink | undefined,
    private readonly notifier?: Notifier,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  async load(): Promise<void> {
    await this.store.migrate('lambda_recursion', RECURSION_MIGRATIONS);
    await this.refresh();
    this.unlisten = reloadOnPeers(this.notifier, CHANNEL, () => this.refresh(), (e) => this.onError(e));
  }

  close(): void {
    this.unlisten?.();
  }

  private async refresh(): Promise<void> {
    const rows = await this.store.all<{ region: string; function_name: string; recursive_loop: string | null }>('SELECT region, function_name, recursive_loop FROM lambda_recursion');
    this.loops.clear();
    for (const r of rows) if (r.recursive_loop === 'Allow' || r.recursive_loop === 'Terminate') this.loops.set(key(r.region, r.function_name), r.recursive_loop);
  }

  /** The function's setting; Terminate unless PutFunctionRecursionConfig said Allow. */
  get(region: string, name: string): RecursiveLoop {
    return this.loops.get(key(region, name)) ?? 'Terminate';
  }

  async put(region: string, name: string, loop: RecursiveLoop): Promise<void> {
    await this.store.run(
      'INSERT INTO lambda_recursion (region, function_name, recursive_loop) VALUES (?, ?, ?) ON CONFLICT (region, function_name) DO UPDATE SET recursive_loop = excluded.recursive_loop',
      [region, name, loop],
    );
    this.loops.set(key(region, name), loop);
    announce(this.notifier, CHANNEL);
  }

  /** DeleteFunction takes the setting and the count with it (a new function of that name starts at Terminate). */
  async forget(region: string, name: string): Promise<void> {
    // The cache first: DeleteFunction has answered by the time this row goes, and the name may be reused at once.
    this.loops.delete(key(region, name));
    await this.store.run('DELETE FROM lambda_recursion WHERE region = ? AND function_name = ?', [region, name]);
    announce(this.notifier, CHANNEL);
  }

  async stats(region: string, name: string): Promise<RecursionStats> {
    const r = await this.store.get<{ dropped: number; last_dropped: number }>('SELECT dropped, last_dropped FROM lambda_recursion WHERE region = ? AND function_name = ?', [region, name]);
    const dropped = Number(r?.dropped ?? 0);
    return { RecursiveLoop: this.get(region, name), RecursiveInvocationsDropped: dropped, ...(dropped > 0 ? { LastDropped: Math.floor(Number(r!.last_dropped) / 1000) } : {}) };
  }

  /**
   * The trace header the invocation of `r` runs with, given the header of the request or event that caused it. When the
   * chain would pass 16 invocations and the function's setting is Terminate, the invocation is stopped instead: the
   * drop is counted and noted in the function's log group, and RecursiveInvocationException is thrown (each source
   * then does with its event what AWS does: docs/recursion.md).
   */
  async admit(r: Resolved, incoming: string | undefined, source: InvocationSource): Promise<{ header: string; loops: number }> {
    const next = nextInvocationHeader(incoming, r.invokedArn, this.clock.now());
    const { header, loops } = next;
    if (loops < MAX_CHAIN_INVOCATIONS || this.get(r.region, r.fn.name) === 'Allow') return next;
    await this.dropped(r, header, source);
    throw new AwsError('RecursiveInvocationException', `Lambda stopped an invocation of ${r.invokedArn} in a recursive loop with ${sourceName[source]}: the chain of requests reached ${MAX_CHAIN_INVOCATIONS} invocations.`);
  }

  private async dropped(r: Resolved, header: string, source: InvocationSource): Promise<void> {
    const now = this.clock.now();
    try {
      await this.store.run(
        'INSERT INTO lambda_recursion (region, function_name, dropped, last_dropped) VALUES (?, ?, 1, ?) ON CONFLICT (region, function_name) DO UPDATE SET dropped = lambda_recursion.dropped + 1, last_dropped = excluded.last_dropped',
        [r.region, r.fn.name, now],
      );
    } catch (e) {
      this.onError(e);
    }
    const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '/');
    const message =
      `RecursiveInvocationsDropped: Lambda detected that ${r.invokedArn} is being invoked in a recursive loop with ${sourceName[source]} ` +
      `and stopped the invocation after ${MAX_CHAIN_INVOCATIONS} invocations in the same chain of requests (trace ${header}). ` +
      'Its recursive loop detection is Terminate; PutFunctionRecursionConfig with RecursiveLoop=Allow lets such loops run.\n';
    this.logs?.append(r.region, r.config.LoggingConfig.LogGroup, `${day}/[${r.version}]recursive-loop-detection`, [{ timestamp: now, message }]);
  }
}

const sourceName: Record<InvocationSource, string> = { sqs: 'Amazon SQS', sns: 'Amazon SNS', s3: 'Amazon S3', lambda: 'AWS Lambda' };
