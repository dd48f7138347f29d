// Concurrency admission: reserved concurrency per function and the account pool shared by unreserved functions.
// Counted in memory on one node; with a shared counter (a cluster on PostgreSQL) each admission also takes a unit
// cluster-wide, so that the limits hold across nodes.
import { AwsError } from '../lib/errors.js';
import type { FunctionSpec } from './types.js';

/** Counts units cluster-wide (see services/lambda/cluster-concurrency.ts); keys are a function's or the pool's. */
export interface SharedCounter {
  /** Takes one unit of `key` if fewer than `limit` are taken in the whole cluster. */
  take(key: string, limit: number): Promise<boolean>;
  /** Gives one unit of `key` back (not awaited by the invoke). */
  give(key: string): void;
}

/** The shared counter's key of the account pool (unreserved functions). */
export const POOL_KEY = '$pool';

const reservedExceeded = (): AwsError =>
  new AwsError('TooManyRequestsException', 'Rate Exceeded.', { fields: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' } });
const poolExceeded = (): AwsError => new AwsError('TooManyRequestsException', 'Rate Exceeded.', { fields: { Reason: 'ConcurrentInvocationLimitExceeded' } });

export class Concurrency {
  private readonly inFlight = new Map<string, number>();
  private unreservedInFlight = 0;
  private reservedTotal = 0;
  private shared: SharedCounter | undefined;

  constructor(public accountLimit: number) {}

  /** Sum of reservations, kept by the Lambda service as they change. */
  setReservedTotal(n: number): void {
    this.reservedTotal = n;
  }

  /** Counts every admission cluster-wide too (set once, before the first invoke, on a shared store). */
  useShared(c: SharedCounter): void {
    this.shared = c;
  }

  get unreservedLimit(): number {
    return this.accountLimit - this.reservedTotal;
  }

  current(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /**
   * Takes one unit of concurrency or throws AWS's 429; returns the release function. With a shared counter the
   * answer is a promise (the cluster-wide take); alone it is synchronous, so the one-node hot path never awaits.
   */
  admit(spec: Pick<FunctionSpec, 'concurrencyKey' | 'reservedConcurrency'>): (() => void) | Promise<() => void> {
    const k = spec.concurrencyKey;
    const n = this.inFlight.get(k) ?? 0;
    const reserved = spec.reservedConcurrency;
    if (reserved !== undefined) {
      if (n >= reserved) throw reservedExceeded();
    } else if (this.unreservedInFlight >= this.unreservedLimit) {
      throw poolExceeded();
    }
    this.inFlight.set(k, n + 1);
    if (reserved === undefined) this.unreservedInFlight++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const m = (this.inFlight.get(k) ?? 1) - 1;
      if (m <= 0) this.inFlight.delete(k);
      else this.inFlight.set(k, m);
      if (reserved === undefined) this.unreservedInFlight--;
    };
    const shared = this.shared;
    if (!shared) return release;
    const sharedKey = reserved !== undefined ? k : POOL_KEY;
    return shared.take(sharedKey, reserved ?? this.unreservedLimit).then(
      (ok) => {
        if (!ok) {
          release();
          throw reserved !== undefined ? reservedExceeded() : poolExceeded();
        }
        let given = false;
        return () => {
          release();
          if (given) return;
          given = true;
          shared.give(sharedKey);
        };
      },
      (e: unknown) => {
        release();
        throw e;
      },
    );
  }
}
