// Concurrency admission: reserved concurrency per function and the account pool shared by unreserved functions.
import { AwsError } from '../lib/errors.js';
import type { FunctionSpec } from './types.js';

export class Concurrency {
  private readonly inFlight = new Map<string, number>();
  private unreservedInFlight = 0;
  private reservedTotal = 0;

  constructor(public accountLimit: number) {}

  /** Sum of reservations, kept by the Lambda service as they change. */
  setReservedTotal(n: number): void {
    this.reservedTotal = n;
  }

  get unreservedLimit(): number {
    return this.accountLimit - this.reservedTotal;
  }

  current(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /** Takes one unit of concurrency or throws AWS's 429; returns the release function. */
  admit(spec: Pick<FunctionSpec, 'concurrencyKey' | 'reservedConcurrency'>): () => void {
    const k = spec.concurrencyKey;
    const n = this.inFlight.get(k) ?? 0;
    const reserved = spec.reservedConcurrency;
    if (reserved !== undefined) {
      if (n >= reserved) {
        throw new AwsError('TooManyRequestsException', 'Rate Exceeded.', { fields: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' } });
      }
    } else if (this.unreservedInFlight >= this.unreservedLimit) {
      throw new AwsError('TooManyRequestsException', 'Rate Exceeded.', { fields: { Reason: 'ConcurrentInvocationLimitExceeded' } });
    }
    this.inFlight.set(k, n + 1);
    if (reserved === undefined) this.unreservedInFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const m = (this.inFlight.get(k) ?? 1) - 1;
      if (m <= 0) this.inFlight.delete(k);
      else this.inFlight.set(k, m);
      if (reserved === undefined) this.unreservedInFlight--;
    };
  }
}
