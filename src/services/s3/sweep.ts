// Garbage collection of object blobs: what no object version or part refers to any more is removed, once older
// than a grace period (an upload in flight has written its blob but not yet its row). One node sweeps at a time.
import type { Clock } from '../../lib/clock.js';
import type { ClusterContext } from '../../server/service.js';
import type { ObjectBlobs } from '../../store/object-blobs.js';
import type { S3Data } from './data.js';

const EVERY_MS = 10 * 60_000;
const GRACE_MS = 60 * 60_000;
const LEASE = 's3:sweep';

export class BlobSweeper {
  private cancel: (() => void) | undefined;
  private running = false;

  constructor(
    private readonly data: S3Data,
    private readonly blobs: ObjectBlobs,
    private readonly clock: Clock,
    private readonly cluster: ClusterContext,
    private readonly log: (m: string) => void,
    private readonly graceMs = GRACE_MS,
    /** Other holders of object blobs (the registry): their blobs are kept too. */
    private readonly others: readonly { referencedBlobs(): Promise<Set<string>> }[] = [],
  ) {}

  start(): void {
    this.running = true;
    this.arm(60_000);
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
  }

  private arm(ms: number): void {
    if (!this.running) return;
    this.cancel = this.clock.setTimer(ms, () => {
      this.sweep()
        .catch((e: unknown) => this.log(`selfless: S3 blob sweep failed: ${e instanceof Error ? e.message : String(e)}`))
        .finally(() => this.arm(EVERY_MS));
    });
  }

  /** Removes unreferenced blobs older than the grace period; returns how many. */
  async sweep(): Promise<number> {
    const lease = await this.cluster.leases.acquire(LEASE);
    if (!lease) return 0;
    try {
      // Blobs are listed before the references are read: a blob written after the listing is not a candidate.
      const blobs = await this.blobs.list();
      const used = await this.data.referencedBlobs();
      for (const o of this.others) for (const sha of await o.referencedBlobs()) used.add(sha);
      // Blob times are the files' (or rows') wall-clock creation times, so the cutoff is wall-clock time too.
      const cutoff = Date.now() - this.graceMs;
      let n = 0;
      for (const b of blobs) {
        if (used.has(b.sha) || b.at > cutoff) continue;
        await this.blobs.remove(b.sha);
        n++;
      }
      return n;
    } finally {
      await this.cluster.leases.release(LEASE);
    }
  }
}
