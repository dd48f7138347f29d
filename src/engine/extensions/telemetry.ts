// The Telemetry API (2022-07-01) of one environment: subscriptions, AWS's buffering, and batched HTTP delivery.
import { request } from 'node:http';
import type { Clock } from '../../lib/clock.js';

export type TelemetryType = 'platform' | 'function' | 'extension';
export const TELEMETRY_TYPES: readonly TelemetryType[] = ['platform', 'function', 'extension'];

/** AWS's buffering limits and defaults (Telemetry API reference). */
export const BUFFERING = {
  maxItems: { min: 1000, max: 10_000, default: 10_000 },
  maxBytes: { min: 262_144, max: 1_048_576, default: 262_144 },
  timeoutMs: { min: 25, max: 30_000, default: 1000 },
} as const;

export interface Buffering {
  maxItems: number;
  maxBytes: number;
  timeoutMs: number;
}

export interface TelemetryEvent {
  time: string;
  type: string;
  record: unknown;
}

/** What a valid subscription request asks for (parsed and checked by runtime-api/extensions.ts). */
export interface SubscriptionRequest {
  uri: string;
  types: TelemetryType[];
  buffering: Buffering;
}

/** Events kept from the start of Init for subscribers that arrive during it (AWS delivers Init's events to them). */
const BACKLOG_MAX = 1000;
/** Delivery attempts of one batch before it is dropped (a listener that is gone). */
const ATTEMPTS = 3;

const typeOf = (eventType: string): TelemetryType => (eventType.startsWith('platform.') ? 'platform' : (eventType as TelemetryType));

/** One extension's subscription: its own buffer, flushed by count, size or time, one batch in flight at a time. */
class Subscriber {
  private buffer: TelemetryEvent[] = [];
  private bytes = 0;
  private cancelTimer: (() => void) | undefined;
  private inFlight = false;
  private failures = 0;
  private dropped = { records: 0, bytes: 0 };

  constructor(
    readonly extension: string,
    private sub: SubscriptionRequest,
    private readonly clock: Clock,
    private readonly resolveHost: (host: string) => string,
  ) {}

  update(sub: SubscriptionRequest): void {
    this.sub = sub;
  }

  wants(type: TelemetryType): boolean {
    return this.sub.types.includes(type);
  }

  push(e: TelemetryEvent): void {
    const size = Buffer.byteLength(JSON.stringify(e));
    // A full buffer (a slow or absent listener) drops the newest records and says so, as AWS does.
    if (this.buffer.length >= this.sub.buffering.maxItems * 2 || this.bytes + size > this.sub.buffering.maxBytes * 4) {
      this.dropped.records++;
      this.dropped.bytes += size;
      return;
    }
    this.buffer.push(e);
    this.bytes += size;
    if (this.buffer.length >= this.sub.buffering.maxItems || this.bytes >= this.sub.buffering.maxBytes) this.flush();
    else if (!this.cancelTimer) this.cancelTimer = this.clock.setTimer(this.sub.buffering.timeoutMs, () => this.flush());
  }

  /** Sends what is buffered now (one batch within the limits); the rest follows when it is done. */
  flush(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.inFlight || (this.buffer.length === 0 && this.dropped.records === 0)) return Promise.resolve();
    if (this.dropped.records > 0) {
      this.buffer.push({
        time: new Date(this.clock.now()).toISOString(),
        type: 'platform.logsDropped',
        record: { reason: 'Some logs were dropped because the downstream consumer is slower than the logs production rate', droppedRecords: this.dropped.records, droppedBytes: this.dropped.bytes },
      });
      this.dropped = { records: 0, bytes: 0 };
    }
    const batch: TelemetryEvent[] = [];
    let size = 2;
    while (this.buffer.length > 0 && batch.length < this.sub.buffering.maxItems) {
      const next = this.buffer[0]!;
      const n = Buffer.byteLength(JSON.stringify(next)) + 1;
      if (batch.length > 0 && size + n > this.sub.buffering.maxBytes) break;
      batch.push(this.buffer.shift()!);
      size += n;
    }
    this.bytes = this.buffer.reduce((s, e) => s + Buffer.byteLength(JSON.stringify(e)), 0);
    this.inFlight = true;
    return this.post(batch).then(
      () => {
        this.failures = 0;
        this.inFlight = false;
        if (this.buffer.length > 0) return this.flush();
        return undefined;
      },
      () => {
        this.inFlight = false;
        if (++this.failures < ATTEMPTS) {
          this.buffer.unshift(...batch);
          this.bytes += size;
          if (!this.cancelTimer) this.cancelTimer = this.clock.setTimer(this.sub.buffering.timeoutMs, () => this.flush());
        } else {
          this.failures = 0;
        }
      },
    );
  }

  private post(batch: TelemetryEvent[]): Promise<void> {
    const body = Buffer.from(JSON.stringify(batch));
    const url = new URL(this.sub.uri);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.resolveHost(url.hostname),
          port: url.port || 80,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.buffer = [];
  }
}

/** The telemetry of one environment: what happened (platform, function and extension records) to its subscribers. */
export class Telemetry {
  private readonly subscribers = new Map<string, Subscriber>();
  /** Everything since Init began, until Init is over: a subscriber that joins during Init still gets initStart. */
  private backlog: TelemetryEvent[] | undefined = [];

  constructor(
    private readonly clock: Clock,
    /** `sandbox.localdomain` is the environment itself (its listeners are on the host's loopback here). */
    private readonly resolveHost: (host: string) => string = (h) => (h === 'sandbox.localdomain' || h === 'sandbox' || h === 'localhost' ? '127.0.0.1' : h),
  ) {}

  get active(): boolean {
    return this.subscribers.size > 0;
  }

  /** Whether an event now could reach a subscriber (one exists, or Init is still on and one may come). */
  get listening(): boolean {
    return this.subscribers.size > 0 || this.backlog !== undefined;
  }

  subscribe(extension: string, sub: SubscriptionRequest): void {
    const existing = this.subscribers.get(extension);
    if (existing) {
      existing.update(sub);
      return;
    }
    const s = new Subscriber(extension, sub, this.clock, this.resolveHost);
    this.subscribers.set(extension, s);
    for (const e of this.backlog ?? []) if (s.wants(typeOf(e.type))) s.push(e);
  }

  /** Init is over: later subscribers (there can be none) get nothing from before. */
  endBacklog(): void {
    this.backlog = undefined;
  }

  emit(type: string, record: unknown, time = this.clock.now()): void {
    const e: TelemetryEvent = { time: new Date(time).toISOString(), type, record };
    if (this.backlog && this.backlog.length < BACKLOG_MAX) this.backlog.push(e);
    if (this.subscribers.size === 0) return;
    const t = typeOf(type);
    for (const s of this.subscribers.values()) if (s.wants(t)) s.push(e);
  }

  /** Sends everything buffered (before SHUTDOWN is delivered). */
  async flush(): Promise<void> {
    await Promise.all([...this.subscribers.values()].map((s) => s.flush().catch(() => undefined)));
  }

  close(): void {
    for (const s of this.subscribers.values()) s.close();
    this.subscribers.clear();
    this.backlog = undefined;
  }
}
