// Event notifications: the records S3 sends (built at write time, committed as work items with the object row)
// and the worker that delivers them to Lambda (async invoke), SQS, SNS and EventBridge, with retries.
import type { Clock } from '../../lib/clock.js';
import type { ClusterContext } from '../../server/service.js';
import type { Stmt } from '../../store/journal.js';
import { uuid } from '../../lib/ids.js';
import { isoDate, eventKey } from './http-rules.js';
import { destinationsFor, type Destination } from './notify-config.js';
import type { Bucket } from './data.js';
import type { S3Deps } from './deps.js';

export const QUEUE = 's3:notify';

export interface ObjectEvent {
  /** Without the `s3:` prefix: `ObjectCreated:Put`. */
  name: string;
  region: string;
  time: number;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  seq: number;
  requestId: string;
  hostId: string;
  sourceIp: string;
  accountId: string;
  /** EventBridge's reason: PutObject, CopyObject, CompleteMultipartUpload, DeleteObject, DeleteObjects. */
  reason: string;
  deletionType?: 'Permanently Deleted' | 'Delete Marker Created';
  /** The request's X-Amzn-Trace-Id (Lambda's recursive loop detection counts its Lineage). */
  trace?: string;
}

interface Delivery {
  kind: Destination['kind'] | 'events';
  arn: string;
  region: string;
  body: string;
  trace?: string;
}

/** S3's sequencer: a hex string that sorts the events of one key in write order. */
export const sequencer = (seq: number): string => seq.toString(16).toUpperCase().padStart(16, '0');

export function eventRecord(b: Bucket, d: Destination, e: ObjectEvent): Record<string, unknown> {
  const object: Record<string, unknown> = { key: eventKey(e.key) };
  if (e.size !== undefined) object['size'] = e.size;
  if (e.etag !== undefined) object['eTag'] = e.etag;
  if (e.versionId !== undefined && e.versionId !== 'null') object['versionId'] = e.versionId;
  object['sequencer'] = sequencer(e.seq);
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: e.region,
    eventTime: isoDate(e.time),
    eventName: e.name,
    userIdentity: { principalId: `AWS:${e.accountId}` },
    requestParameters: { sourceIPAddress: e.sourceIp },
    responseElements: { 'x-amz-request-id': e.requestId, 'x-amz-id-2': e.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: d.id,
      bucket: { name: b.name, ownerIdentity: { principalId: e.accountId }, arn: `arn:aws:s3:::${b.name}` },
      object,
    },
  };
}

/** The EventBridge event's detail for an object event (S3's "Object Created" / "Object Deleted"). */
export function eventBridgeDetail(b: Bucket, e: ObjectEvent): Record<string, unknown> {
  const object: Record<string, unknown> = { key: e.key };
  if (e.size !== undefined) object['size'] = e.size;
  if (e.etag !== undefined) object['etag'] = e.etag;
  if (e.versionId !== undefined && e.versionId !== 'null') object['version-id'] = e.versionId;
  object['sequencer'] = sequencer(e.seq);
  const d: Record<string, unknown> = {
    version: '0',
    bucket: { name: b.name },
    object,
    'request-id': e.requestId,
    requester: e.accountId,
    'source-ip-address': e.sourceIp,
    reason: e.reason,
  };
  if (e.deletionType) d['deletion-type'] = e.deletionType;
  return d;
}

/** The work items (as journal statements) that an object event on bucket `b` makes. */
export function notificationStmts(cluster: ClusterContext, b: Bucket, e: ObjectEvent): Stmt[] {
  const items: Delivery[] = [];
  const c = b.config.notification;
  for (const d of destinationsFor(c, `s3:${e.name}`, e.key)) {
    items.push({ kind: d.kind, arn: d.arn, region: b.region, body: JSON.stringify({ Records: [eventRecord(b, d, e)] }), ...(e.trace !== undefined ? { trace: e.trace } : {}) });
  }
  if (c?.eventBridge) {
    const type = e.name.startsWith('ObjectCreated') ? 'Object Created' : e.name.startsWith('ObjectRemoved') ? 'Object Deleted' : undefined;
    if (type) items.push({ kind: 'events', arn: `arn:aws:s3:::${b.name}`, region: b.region, body: JSON.stringify({ type, detail: eventBridgeDetail(b, e), time: e.time }) });
  }
  if (items.length === 0) return [];
  return cluster.work.insertStatements(
    QUEUE,
    items.map((it) => ({ id: `${sequencer(e.seq)}-${uuid()}`, payload: Buffer.from(JSON.stringify(it)) })),
  );
}

/** The message S3 sends to a queue when a configuration is put. */
export function testEvent(bucket: string, requestId: string, hostId: string, time: number): string {
  return JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: isoDate(time), Bucket: bucket, RequestId: requestId, HostId: hostId });
}

const MAX_ATTEMPTS = 20;

/** Claims notification work items on any node and delivers them; failures are retried with backoff. */
export class NotificationWorker {
  private running = false;
  private busy = false;
  private again = false;
  private cancelTimer: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly cluster: ClusterContext,
    private readonly clock: Clock,
    private readonly deps: S3Deps,
    private readonly log: (m: string) => void,
  ) {}

  start(): void {
    this.running = true;
    this.unlisten = this.cluster.work.onWake(QUEUE, () => this.kick());
    this.kick();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unlisten?.();
    this.cancelTimer?.();
    await Promise.allSettled([...this.inFlight]);
  }

  kick(): void {
    if (!this.running) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    const p = this.drain()
      .catch((e: unknown) => this.log(`selfless: S3 notification delivery failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.busy = false;
        this.inFlight.delete(p);
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.arm();
      });
    this.inFlight.add(p);
  }

  /** Sweeps again later: retries that come due and claims that lapsed on a dead node. */
  private arm(): void {
    if (!this.running) return;
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(2000, () => this.kick());
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (!this.running) return;
      const items = await this.cluster.work.claim(QUEUE, 32);
      if (items.length === 0) return;
      await Promise.all(
        items.map(async (it) => {
          const d = JSON.parse(it.payload.toString('utf8')) as Delivery;
          try {
            await this.deliver(d);
            await this.cluster.work.complete(QUEUE, it.id);
          } catch (e) {
            if (it.attempts >= MAX_ATTEMPTS) {
              this.log(`selfless: S3 notification to ${d.arn} dropped after ${it.attempts} attempts: ${e instanceof Error ? e.message : String(e)}`);
              await this.cluster.work.complete(QUEUE, it.id);
            } else {
              await this.cluster.work.release(QUEUE, it.id, { availableAt: this.clock.now() + Math.min(300_000, 1000 * 2 ** it.attempts) });
            }
          }
        }),
      );
    }
  }

  private async deliver(d: Delivery): Promise<void> {
    switch (d.kind) {
      case 'lambda':
        return this.deps.lambda.enqueueAsync(arnRegion(d.arn) ?? d.region, d.arn, undefined, Buffer.from(d.body), { ...(d.trace !== undefined ? { header: d.trace } : {}), source: 's3' });
      case 'sqs':
        await this.deps.queues.send(d.arn, { body: d.body, ...(d.trace !== undefined ? { traceHeader: d.trace } : {}) });
        return;
      case 'sns':
        await this.deps.sns.publish(arnRegion(d.arn) ?? d.region, { topicArn: d.arn, message: d.body, subject: 'Amazon S3 Notification' });
        return;
      case 'events': {
        const ev = JSON.parse(d.body) as { type: string; detail: unknown; time: number };
        const r = await this.deps.events.putEvents(d.region, [{ Source: 'aws.s3', DetailType: ev.type, Detail: JSON.stringify(ev.detail), Resources: [d.arn], Time: new Date(ev.time) }]);
        if (r.FailedEntryCount > 0) throw new Error(`PutEvents failed: ${JSON.stringify(r.Entries[0])}`);
        return;
      }
    }
  }
}

function arnRegion(arn: string): string | undefined {
  const p = arn.split(':');
  return p.length > 4 && p[3] ? p[3] : undefined;
}
