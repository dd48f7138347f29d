// The delivery workers: claim pending deliveries (work items any node may take), send each to its target, and
// complete it, retry it later with backoff under the target's RetryPolicy (MaximumRetryAttempts, default 185;
// MaximumEventAgeInSeconds, default 86400), or give it to the target's dead-letter queue with AWS's attributes.
import type { Clock } from '../../lib/clock.js';
import { AwsError } from '../../lib/errors.js';
import type { OutgoingMessage } from '../sqs/index.js';
import type { WorkItem, WorkQueues } from '../../store/work.js';
import { DELIVERY_QUEUE, type Delivery } from './model.js';

export const DEFAULT_MAX_RETRIES = 185;
export const DEFAULT_MAX_AGE_SECONDS = 86_400;
const MAX_BACKOFF_MS = 300_000;
/** How often a node of a cluster looks for deliveries nobody works (a dead node's lapsed claims). */
const SWEEP_MS = 2_000;

export interface DeliveryDeps {
  clock: Clock;
  work: WorkQueues;
  /** Other nodes share the queue (PostgreSQL): sweep it every few seconds. */
  shared: boolean;
  /** Deliveries in flight on this node at most. */
  concurrency: number;
  /** Sends one delivery to its target; throws the target's error. */
  send(d: Delivery): Promise<void>;
  /** Puts a message on an SQS queue (the dead-letter queue). */
  sendToQueue(arn: string, msg: OutgoingMessage): Promise<void>;
  log(msg: string): void;
}

/** The error code and message of a failed delivery, as AWS reports them in the dead-letter attributes. */
export function failureOf(e: unknown): { code: string; message: string; retryable: boolean } {
  if (e instanceof AwsError) {
    const code = e.queryCode ?? e.code;
    const retryable = e.status >= 500 || e.status === 429 || /Throttl|TooManyRequests/.test(e.code);
    return { code, message: e.message, retryable };
  }
  const x = e as { code?: unknown; message?: unknown } | undefined;
  if (x && typeof x.code === 'string') return { code: x.code, message: String(x.message ?? ''), retryable: false };
  return { code: 'InternalException', message: e instanceof Error ? e.message : String(e), retryable: true };
}

/** The dead-letter message: the event, with RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE (and the retry facts). */
export function deadLetterMessage(d: Delivery, f: { code: string; message: string }, exhausted?: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds'): OutgoingMessage {
  const s = (v: string) => ({ DataType: 'String', StringValue: v });
  return {
    body: JSON.stringify(d.event),
    messageAttributes: {
      RULE_ARN: s(d.ruleArn),
      TARGET_ARN: s(d.target.Arn),
      ERROR_CODE: s(f.code),
      ...(f.message ? { ERROR_MESSAGE: s(f.message.slice(0, 1024)) } : {}),
      ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: s(exhausted) } : {}),
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(d.retries) },
    },
  };
}

export class DeliveryWorker {
  private running = false;
  private inflight = 0;
  private pulling = false;
  private again = false;
  private unlisten?: () => void;
  private cancelSweep?: () => void;
  private due?: { at: number; cancel: () => void };
  private readonly runs = new Set<Promise<void>>();
  readonly stats = { delivered: 0, retried: 0, deadLettered: 0, dropped: 0 };

  constructor(private readonly d: DeliveryDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = this.d.work.onWake(DELIVERY_QUEUE, () => this.pump());
    this.pump();
    const arm = (): void => {
      this.cancelSweep = this.d.clock.setTimer(SWEEP_MS, () => {
        this.pump();
        if (this.running) arm();
      });
    };
    // Alone, the node needs no sweep: it arms a timer for the next retry it releases (and at start, below).
    if (this.d.shared) arm();
    else void this.armDue();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.unlisten = undefined;
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    this.due?.cancel();
    this.due = undefined;
    // Deliveries in flight finish (their items complete); what is left stays in the store for the next start.
    await Promise.allSettled([...this.runs]);
  }

  /** Resolves once nothing is in flight (tests). */
  async idle(): Promise<void> {
    while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
  }

  private pump(): void {
    if (!this.running) return;
    if (this.pulling) {
      this.again = true;
      return;
    }
    this.pulling = true;
    void this.pull().finally(() => {
      this.pulling = false;
      if (this.again) {
        this.again = false;
        this.pump();
      }
    });
  }

  private async pull(): Promise<void> {
    try {
      for (;;) {
        const free = this.d.concurrency - this.inflight;
        if (free <= 0 || !this.running) return;
        const items = await this.d.work.claim(DELIVERY_QUEUE, free);
        for (const it of items) this.track(it);
        if (items.length < free) return;
      }
    } catch (e) {
      this.d.log(`selfless: events: claiming deliveries failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private track(it: WorkItem): void {
    this.inflight++;
    const p = this.run(it)
      .catch((e: unknown) => this.d.log(`selfless: events: delivery ${it.id} failed internally: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.inflight--;
        this.runs.delete(p);
        this.pump();
      });
    this.runs.add(p);
  }

  private async run(it: WorkItem): Promise<void> {
    let d: Delivery;
    try {
      d = JSON.parse(it.payload.toString('utf8')) as Delivery;
    } catch {
      await this.d.work.complete(DELIVERY_QUEUE, it.id);
      return;
    }
    try {
      await this.d.send(d);
      this.stats.delivered++;
      await this.d.work.complete(DELIVERY_QUEUE, it.id, true);
      return;
    } catch (e) {
      if (!this.running) return; // stopping: the item stays and is delivered after the next start
      await this.failed(it, d, failureOf(e));
    }
  }

  private async failed(it: WorkItem, d: Delivery, f: { code: string; message: string; retryable: boolean }): Promise<void> {
    const now = this.d.clock.now();
    const maxRetries = d.target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRIES;
    const maxAgeMs = (d.target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS) * 1000;
    const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** d.retries);
    let exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined;
    if (f.retryable) {
      if (d.retries >= maxRetries) exhausted = 'MaximumRetryAttempts';
      else if (now + backoff - d.ingestion > maxAgeMs) exhausted = 'MaximumEventAgeInSeconds';
      else {
        this.stats.retried++;
        const at = now + backoff;
        await this.d.work.release(DELIVERY_QUEUE, it.id, { availableAt: at, payload: Buffer.from(JSON.stringify({ ...d, retries: d.retries + 1 })) });
        if (!this.d.shared) this.armAt(at);
        return;
      }
    }
    const dlq = d.target.DeadLetterConfig?.Arn;
    if (dlq) {
      try {
        await this.d.sendToQueue(dlq, deadLetterMessage(d, f, exhausted));
        this.stats.deadLettered++;
      } catch (e) {
        this.d.log(`selfless: events: dead-letter delivery to ${dlq} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    } else {
      this.stats.dropped++;
      this.d.log(`selfless: events: rule ${d.ruleName} target ${d.target.Id} (${d.target.Arn}): ${f.code}: ${f.message}`);
    }
    await this.d.work.complete(DELIVERY_QUEUE, it.id);
  }

  /** One node alone: pull again when the earliest retry falls due. */
  private armAt(at: number): void {
    if (!this.running || (this.due && this.due.at <= at)) return;
    this.due?.cancel();
    this.due = {
      at,
      cancel: this.d.clock.setTimer(at - this.d.clock.now(), () => {
        this.due = undefined;
        this.pump();
        void this.armDue();
      }),
    };
  }

  private async armDue(): Promise<void> {
    try {
      const at = await this.d.work.nextAt(DELIVERY_QUEUE);
      if (at !== undefined && at > this.d.clock.now()) this.armAt(at);
    } catch {
      /* the next release arms it */
    }
  }
}
