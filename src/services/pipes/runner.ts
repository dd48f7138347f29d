// The pipes' data plane: each RUNNING pipe with an SQS source is polled by one node at a time (a lease per pipe);
// a batch is filtered with the pipe's FilterCriteria, handed to the target, and deleted once the target took it.
import type { Clock } from '../../lib/clock.js';
import { matches } from '../../lib/event-pattern.js';
import type { Leases } from '../../store/leases.js';
import { filterView, sqsRecord, type QueueBroker } from '../sqs/index.js';
import type { PipeTables, StoredPipe } from './model.js';

/** Hands a filtered batch (AWS's SQS records) to the pipe's target; throws when the target did not take it. */
export type Deliver = (pipe: StoredPipe, records: Record<string, unknown>[]) => Promise<void>;

export interface RunnerDeps {
  clock: Clock;
  tables: PipeTables;
  queues: QueueBroker;
  leases: Leases;
  deliver: Deliver;
  log(msg: string): void;
}

/** How often the runner re-reads the pipes (another node's changes, lapsed leases) and an idle pipe polls again. */
const SWEEP_MS = 1000;
const IDLE_MS = 1000;

const keyOf = (p: Pick<StoredPipe, 'region' | 'Name'>): string => `${p.region}/${p.Name}`;
const leaseName = (key: string): string => `pipe:${key}`;

class PipePoller {
  private running = true;
  private paused = false;
  private wakeUp: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  readonly done: Promise<void>;

  constructor(
    private readonly d: RunnerDeps,
    public pipe: StoredPipe,
  ) {
    this.unsubscribe = d.queues.onAvailable(pipe.Source, () => this.wake());
    this.done = this.loop();
  }

  /** Takes the pipe's new settings from the next batch on (and undoes a pause). */
  resume(pipe: StoredPipe): void {
    this.pipe = pipe;
    this.paused = false;
  }

  /** Takes no further batch (the sweep that follows stops it for good). */
  pause(): void {
    this.paused = true;
  }

  stop(): Promise<void> {
    this.running = false;
    this.unsubscribe();
    this.wake();
    return this.done;
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.d.clock.setTimer(ms, () => this.wake());
      this.wakeUp = () => {
        cancel();
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        if (!(await this.once())) await this.wait(IDLE_MS);
      } catch (e) {
        this.d.log(`selfless: pipe ${this.pipe.Name}: ${e instanceof Error ? e.message : String(e)}`);
        if (this.running) await this.wait(IDLE_MS);
      }
    }
  }

  /** One batch; false when the queue had nothing. */
  private async once(): Promise<boolean> {
    const p = this.pipe;
    if (this.paused) return false;
    const size = p.SourceParameters?.SqsQueueParameters?.BatchSize ?? 10;
    if (!this.d.queues.queue(p.Source)) return false;
    const batch = await this.d.queues.receive(p.Source, size, { waitMs: 0 });
    if (batch.length === 0) return false;
    const filters = (p.SourceParameters?.FilterCriteria?.Filters ?? []).flatMap((f) => (f.Pattern ? [JSON.parse(f.Pattern) as Record<string, unknown>] : []));
    const pass: Record<string, unknown>[] = [];
    const dropped: string[] = [];
    for (const m of batch) {
      const rec = sqsRecord(m, p.Source);
      if (filters.length === 0 || filters.some((f) => matches(f as never, filterView(rec) as never))) pass.push(rec);
      // Pipes deletes the messages that match none of the filters.
      else dropped.push(m.receiptHandle);
    }
    if (dropped.length > 0) await this.d.queues.deleteMessages(p.Source, dropped);
    if (pass.length === 0) return true;
    // A failed target leaves the batch to the queue's visibility timeout and redrive policy.
    await this.d.deliver(p, pass);
    await this.d.queues.deleteMessages(p.Source, pass.map((r) => r['receiptHandle'] as string));
    return true;
  }
}

export class Runner {
  private readonly pollers = new Map<string, PipePoller>();
  private started = false;
  private cancel: (() => void) | undefined;
  private sweeping: Promise<void> = Promise.resolve();

  constructor(private readonly d: RunnerDeps) {}

  start(): void {
    this.started = true;
    this.changed();
  }

  /**
   * Follows a change made through this node at once (a new setting applies to the next batch, a stop or delete
   * ends polling before the next one), then re-reads the pipes; other nodes' changes are seen on the next sweep.
   */
  changed(region?: string, name?: string, pipe?: StoredPipe): void {
    if (!this.started) return;
    const poller = region !== undefined && name !== undefined ? this.pollers.get(keyOf({ region, Name: name })) : undefined;
    if (poller) {
      if (pipe && pipe.DesiredState === 'RUNNING' && pipe.Source === poller.pipe.Source) poller.resume(pipe);
      else poller.pause();
    }
    this.cancel?.();
    this.sweeping = this.sweeping.then(() => this.sweep()).catch((e: unknown) => this.d.log(`selfless: pipes: ${e instanceof Error ? e.message : String(e)}`)).then(() => {
      if (this.started) this.cancel = this.d.clock.setTimer(SWEEP_MS, () => this.changed());
    });
  }

  async stop(): Promise<void> {
    this.started = false;
    this.cancel?.();
    await this.sweeping;
    for (const [key, poller] of [...this.pollers]) {
      this.pollers.delete(key);
      await poller.stop();
      await this.d.leases.release(leaseName(key));
    }
  }

  private async sweep(): Promise<void> {
    const wanted = new Map((await this.d.tables.pipes()).filter((p) => p.DesiredState === 'RUNNING' && p.Source.startsWith('arn:aws:sqs:')).map((p) => [keyOf(p), p]));
    for (const [key, poller] of [...this.pollers]) {
      const p = wanted.get(key);
      // Renewing the lease also tells whether another node took it while this one stalled.
      if (p && this.started && (await this.d.leases.acquire(leaseName(key)))) {
        poller.pipe = p;
        continue;
      }
      this.pollers.delete(key);
      await poller.stop();
      if (!p) await this.d.leases.release(leaseName(key));
    }
    for (const [key, p] of wanted) {
      if (!this.started || this.pollers.has(key)) continue;
      if (await this.d.leases.acquire(leaseName(key))) this.pollers.set(key, new PipePoller(this.d, p));
    }
  }
}
