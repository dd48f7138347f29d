// The delivery worker: claims SNS work items (one queue per subscription), delivers them to Lambda (async invoke
// with the SNS event), SQS (the envelope, or raw) and HTTP/S endpoints (AWS's headers), and completes them; failures
// are retried by the delivery policy (released to a later time; FIFO subscriptions hold their head item so that
// order is kept) and, once retries are exhausted or the endpoint is gone, sent to the RedrivePolicy's queue.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AwsError, isStorageFull } from '../../lib/errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Notifier } from '../../store/notifier.js';
import type { WorkItem, WorkQueues } from '../../store/work.js';
import type { LambdaApi } from '../lambda/index.js';
import type { SqsApi } from '../sqs/index.js';
import { confirmationMessage, lambdaEvent, notificationEnvelope, sqsAttributes, type Delivered } from './envelope.js';
import { WORK_CHANNEL, type WorkPayload } from './intake.js';
import { httpRetryPolicy, MANAGED_RETRY, retryDelayMs, type Subscription, type Topic } from './model.js';
import type { Signable } from './signing.js';

/** What the delivery worker needs of the intake module. */
export interface DeliverySource {
  subscription(arn: string): Promise<Subscription | undefined>;
  topic(arn: string): Promise<Topic | undefined>;
  sign(m: Signable, version: string): string;
  signingCertUrl(): string;
  unsubscribeUrl(subscriptionArn: string): string;
  subscribeUrl(topicArn: string, token: string): string;
}

export interface DeliveryDeps {
  clock: Clock;
  work: WorkQueues;
  notifier: Notifier;
  source: DeliverySource;
  lambda: LambdaApi;
  queues: SqsApi;
  log(msg: string): void;
  /** enforce: a function whose policy does not allow sns.amazonaws.com from the topic is not invoked; dev: logged. */
  authMode: 'dev' | 'enforce';
  /** Other nodes share the queues: sweep for items nobody works on. */
  shared: boolean;
}

const CLAIM_BATCH = 64;
const SWEEP_MS = 2_000;
const HTTP_TIMEOUT_MS = 15_000;

/** A failed attempt: `client` errors (the endpoint is gone, a 4xx from Lambda/SQS) are not retried. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly client: boolean,
  ) {
    super(message);
  }
}

function post(url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: HTTP_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export class DeliveryWorker {
  private running = false;
  private readonly pulling = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, () => void>();
  private cancelSweep: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats = { delivered: 0, retried: 0, deadLettered: 0, dropped: 0 };

  constructor(private readonly d: DeliveryDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unlisten = this.d.notifier.listen(WORK_CHANNEL, (q) => this.pull(q));
    this.track(this.pullAll());
    if (this.d.shared) {
      const arm = (): void => {
        this.cancelSweep = this.d.clock.setTimer(SWEEP_MS, () => {
          void this.pullAll().finally(() => {
            if (this.running) arm();
          });
        });
      };
      arm();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.cancelSweep?.();
    for (const c of this.timers.values()) c();
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
    await Promise.allSettled([...this.inFlight]);
  }

  private readonly sleepers = new Set<() => void>();

  /** Waits on the clock; stop() ends every wait at once. */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.sleepers.delete(done);
        cancel();
        resolve();
      };
      const cancel = this.d.clock.setTimer(ms, done);
      this.sleepers.add(done);
    });
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async pullAll(): Promise<void> {
    try {
      for (const q of await this.d.work.queues('sns:')) this.pull(q);
    } catch (e) {
      this.d.log(`selfless: SNS delivery sweep failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Claims and works the queue until it is empty (one loop per queue on this node). */
  pull(queue: string): void {
    if (!this.running) return;
    if (this.pulling.has(queue)) {
      this.again.add(queue);
      return;
    }
    this.pulling.add(queue);
    this.track(
      this.loop(queue)
        .catch((e: unknown) => this.d.log(`selfless: SNS delivery of ${queue} failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => {
          this.pulling.delete(queue);
          if (this.again.delete(queue)) this.pull(queue);
          else if (this.running) void this.armNext(queue);
        }),
    );
  }

  /** Alone on the store, items released for a later retry (also by a previous run) are pulled when they fall due. */
  private async armNext(queue: string): Promise<void> {
    if (this.timers.has(queue)) return;
    const at = await this.d.work.nextAt(queue);
    if (at === undefined || !this.running) return;
    const wait = Math.max(at - this.d.clock.now(), 10);
    this.timers.set(
      queue,
      this.d.clock.setTimer(wait, () => {
        this.timers.delete(queue);
        this.pull(queue);
      }),
    );
  }

  private async loop(queue: string): Promise<void> {
    const subArn = queue.slice('sns:'.length);
    while (this.running) {
      this.again.delete(queue);
      const items = await this.d.work.claim(queue, CLAIM_BATCH);
      if (items.length === 0) return;
      const sub = await this.d.source.subscription(subArn);
      const fifo = sub !== undefined && sub.topicArn.endsWith('.fifo');
      if (fifo) {
        for (const it of items) await this.runHeld(queue, it, sub);
      } else {
        await Promise.all(items.map((it) => this.runOnce(queue, it, sub)));
      }
    }
  }

  /**
   * One delivery attempt: completes the item once delivered or given up (undefined), else counts the retry and gives
   * the delay before the next one.
   */
  private async tryOnce(queue: string, it: WorkItem, p: WorkPayload, sub: Subscription | undefined): Promise<number | undefined> {
    const outcome = await this.attempt(p, sub);
    const delay = outcome === undefined ? undefined : this.retryDelay(p, sub, outcome);
    if (outcome === undefined) this.stats.delivered++;
    else if (delay === undefined && !(await this.giveUp(p, sub, outcome)) && p.kind === 'notify') {
      // The dead-letter queue could not take it for a reason that passes (a full disk, a store error): the item stays
      // and the whole give-up runs again later (the message is not completed before it is durable somewhere).
      this.stats.retried++;
      p.deadLetterAttempts = (p.deadLetterAttempts ?? 0) + 1;
      return Math.min(300_000, 1000 * 2 ** Math.min(p.deadLetterAttempts - 1, 9));
    }
    if (delay === undefined) {
      await this.d.work.complete(queue, it.id, true);
      return undefined;
    }
    this.stats.retried++;
    p.retries++;
    return delay;
  }

  /** Standard: one attempt; a failure is released to its retry time. */
  private async runOnce(queue: string, it: WorkItem, sub: Subscription | undefined): Promise<void> {
    const p = JSON.parse(it.payload.toString('utf8')) as WorkPayload;
    const delay = await this.tryOnce(queue, it, p, sub);
    if (delay !== undefined) await this.d.work.release(queue, it.id, { availableAt: this.d.clock.now() + delay, payload: Buffer.from(JSON.stringify(p)) });
  }

  /** FIFO: the head item is retried in place (the claim kept) until it is delivered or given up. */
  private async runHeld(queue: string, it: WorkItem, sub: Subscription | undefined): Promise<void> {
    const p = JSON.parse(it.payload.toString('utf8')) as WorkPayload;
    while (this.running) {
      const delay = await this.tryOnce(queue, it, p, sub);
      if (delay === undefined) return;
      await this.d.work.update(queue, it.id, { availableAt: this.d.clock.now() + delay, payload: Buffer.from(JSON.stringify(p)) });
      await this.sleep(delay);
    }
  }

  private retryDelay(p: WorkPayload, sub: Subscription | undefined, f: DeliveryFailure): number | undefined {
    if (f.client) return undefined;
    const protocol = p.kind === 'notify' ? sub?.protocol : p.protocol;
    if (protocol === 'http' || protocol === 'https') return retryDelayMs(httpRetryPolicy(undefined, sub?.attributes['DeliveryPolicy']), p.retries + 1);
    return retryDelayMs(MANAGED_RETRY, p.retries + 1);
  }

  /** Undefined when delivered, else the failure. */
  private async attempt(p: WorkPayload, sub: Subscription | undefined): Promise<DeliveryFailure | undefined> {
    try {
      if (p.kind !== 'notify') {
        await this.confirmation(p);
        return undefined;
      }
      // Unsubscribed (or its topic deleted) since the publish: nothing to deliver.
      if (!sub) {
        this.stats.dropped++;
        return undefined;
      }
      await this.notify(p.msg, sub);
      return undefined;
    } catch (e) {
      if (e instanceof DeliveryFailure) return e;
      if (e instanceof AwsError) return new DeliveryFailure(`${e.code}: ${e.message}`, e.status < 500 && e.status !== 429);
      return new DeliveryFailure(e instanceof Error ? e.message : String(e), false);
    }
  }

  private async version(topicArn: string): Promise<string> {
    return (await this.d.source.topic(topicArn))?.attributes['SignatureVersion'] ?? '1';
  }

  private urls(sub: Subscription): { signingCertUrl: string; unsubscribeUrl: string } {
    return { signingCertUrl: this.d.source.signingCertUrl(), unsubscribeUrl: this.d.source.unsubscribeUrl(sub.arn) };
  }

  private async body(m: Delivered, sub: Subscription): Promise<string> {
    if (sub.attributes['RawMessageDelivery'] === 'true') return m.message;
    const v = await this.version(m.topicArn);
    return JSON.stringify(notificationEnvelope(m, v, this.urls(sub), (s) => this.d.source.sign(s, v)));
  }

  /**
   * SNS invokes a function as sns.amazonaws.com, and Lambda refuses it unless the function's policy allows that
   * principal from the topic (AddPermission with SourceArn = the topic): a client-side error, not retried, counted
   * as a failed delivery (and sent to the subscription's dead-letter queue). Dev mode only says so.
   */
  private checkInvoke(functionArn: string, topicArn: string): void {
    const region = functionArn.split(':')[3] ?? '';
    const sourceAccount = topicArn.split(':')[4];
    if (this.d.lambda.allowsService(region, functionArn, 'sns.amazonaws.com', { sourceArn: topicArn, ...(sourceAccount ? { sourceAccount } : {}) })) return;
    const message = `AccessDeniedException: User: sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction on resource: ${functionArn} because no resource-based policy allows the lambda:InvokeFunction action`;
    if (this.d.authMode === 'enforce') throw new DeliveryFailure(message, true);
    this.d.log(`selfless: would be refused on AWS: SNS delivery from ${topicArn} to ${functionArn}: ${message}; dev mode delivers it`);
  }

  private async notify(m: Delivered, sub: Subscription): Promise<void> {
    switch (sub.protocol) {
      case 'lambda': {
        const p = sub.endpoint.split(':');
        const v = await this.version(m.topicArn);
        // A function that does not exist (or lost its alias) is a client-side error: no retries, to the DLQ.
        this.d.lambda.invoker.resolve(p[3]!, p[6]!, p[7]);
        this.checkInvoke(sub.endpoint, m.topicArn);
        const event = lambdaEvent(m, sub.arn, v, this.urls(sub), (s) => this.d.source.sign(s, v));
        await this.d.lambda.enqueueAsync(p[3]!, p[6]!, p[7], Buffer.from(JSON.stringify(event)), { ...(m.trace !== undefined ? { header: m.trace } : {}), source: 'sns' });
        return;
      }
      case 'sqs': {
        const q = this.d.queues.queue(sub.endpoint);
        if (!q) throw new DeliveryFailure(`the queue ${sub.endpoint} does not exist`, true);
        const raw = sub.attributes['RawMessageDelivery'] === 'true';
        await this.d.queues.send(sub.endpoint, {
          body: await this.body(m, sub),
          ...(raw && Object.keys(m.attributes).length > 0 ? { messageAttributes: sqsAttributes(m.attributes) } : {}),
          ...(q.fifo && m.groupId !== undefined ? { messageGroupId: m.groupId } : {}),
          ...(q.fifo && m.dedupId !== undefined ? { messageDeduplicationId: m.dedupId } : {}),
          ...(m.trace !== undefined ? { traceHeader: m.trace } : {}),
        });
        return;
      }
      case 'http':
      case 'https': {
        const raw = sub.attributes['RawMessageDelivery'] === 'true';
        const status = await post(
          sub.endpoint,
          {
            'content-type': 'text/plain; charset=UTF-8',
            'user-agent': 'Amazon Simple Notification Service Agent',
            'x-amz-sns-message-type': 'Notification',
            'x-amz-sns-message-id': m.id,
            'x-amz-sns-topic-arn': m.topicArn,
            'x-amz-sns-subscription-arn': sub.arn,
            ...(raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
          },
          await this.body(m, sub),
        );
        // AWS: a status outside 200–499 (or no answer in 15 s) is a failure and retried; 4xx counts as delivered.
        if (status < 200 || status >= 500) throw new DeliveryFailure(`HTTP ${status}`, false);
        return;
      }
    }
  }

  private async confirmation(p: Exclude<WorkPayload, { kind: 'notify' }>): Promise<void> {
    const v = await this.version(p.topicArn);
    const body = confirmationMessage(
      p.kind,
      { id: p.id, topicArn: p.topicArn, subscriptionArn: p.sub, token: p.token, subscribeUrl: this.d.source.subscribeUrl(p.topicArn, p.token), timestamp: p.timestamp },
      v,
      this.d.source.signingCertUrl(),
      (s) => this.d.source.sign(s, v),
    );
    const status = await post(
      p.endpoint,
      {
        'content-type': 'text/plain; charset=UTF-8',
        'user-agent': 'Amazon Simple Notification Service Agent',
        'x-amz-sns-message-type': p.kind,
        'x-amz-sns-message-id': p.id,
        'x-amz-sns-topic-arn': p.topicArn,
        ...(p.kind === 'UnsubscribeConfirmation' ? { 'x-amz-sns-subscription-arn': p.sub } : {}),
      },
      JSON.stringify(body),
    );
    if (status < 200 || status >= 500) throw new DeliveryFailure(`HTTP ${status}`, false);
  }

  /**
   * Retries exhausted (or a client error): to the subscription's dead-letter queue if it has one, else dropped. False
   * when the dead-letter queue refused it for a reason that passes (the item must then stay); true when it is done.
   */
  private async giveUp(p: WorkPayload, sub: Subscription | undefined, f: DeliveryFailure): Promise<boolean> {
    const redrive = sub?.attributes['RedrivePolicy'];
    if (p.kind !== 'notify' || !sub || !redrive) {
      this.stats.dropped++;
      this.d.log(`selfless: SNS delivery to ${p.kind === 'notify' ? (sub?.endpoint ?? p.sub) : p.endpoint} failed and was dropped: ${f.message}`);
      return true;
    }
    const dlq = (JSON.parse(redrive) as { deadLetterTargetArn: string }).deadLetterTargetArn;
    const q = this.d.queues.queue(dlq);
    try {
      const raw = sub.attributes['RawMessageDelivery'] === 'true';
      await this.d.queues.send(dlq, {
        body: await this.body(p.msg, sub),
        ...(raw && Object.keys(p.msg.attributes).length > 0 ? { messageAttributes: sqsAttributes(p.msg.attributes) } : {}),
        ...(q?.fifo && p.msg.groupId !== undefined ? { messageGroupId: p.msg.groupId } : {}),
        ...(q?.fifo && p.msg.dedupId !== undefined ? { messageDeduplicationId: p.msg.dedupId } : {}),
      });
      this.stats.deadLettered++;
      return true;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (isStorageFull(e) || !(e instanceof AwsError) || e.status >= 500 || e.status === 429) {
        this.d.log(`selfless: SNS dead-letter delivery to ${dlq} failed (retrying): ${msg}`);
        return false;
      }
      this.stats.dropped++;
      this.d.log(`selfless: SNS dead-letter delivery to ${dlq} failed: ${msg}`);
      return true;
    }
  }
}
