// Identifiers shaped as AWS shapes them: request ids, revision ids, hex stream ids.
import { randomBytes, randomUUID } from 'node:crypto';

export const uuid = (): string => randomUUID();

// Random bytes come from a pooled buffer: one getrandom call per 4 KB instead of one per id (ids are on the invoke path).
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolAt = 0;
export const hex = (bytes: number): string => {
  if (bytes > POOL_SIZE) return randomBytes(bytes).toString('hex');
  if (poolAt + bytes > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  const out = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return out;
};

/** `2020-04-10T19:06:32.563+0000`: the string timestamp format of Lambda's FunctionConfiguration. */
export function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
