// Identifiers shaped as AWS shapes them: request ids, revision ids, hex stream ids.
import { randomBytes, randomUUID } from 'node:crypto';

export const uuid = (): string => randomUUID();
export const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** `2020-04-10T19:06:32.563+0000`: the string timestamp format of Lambda's FunctionConfiguration. */
export function lambdaTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
