// JSON request bodies at the edge: parse, then apply a zod shape; failures are AWS's InvalidRequestContentException.
import type { z } from 'zod';
import { AwsError } from './errors.js';

/** Parses a JSON request body; an unparsable body is AWS's InvalidRequestContentException. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: ${e instanceof Error ? e.message : 'invalid JSON'}`);
  }
}

/** Applies a zod shape; a type mismatch names the field, as AWS's deserialiser does. */
export function shape<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') || 'body';
  throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Unexpected value for field '${path}': ${issue?.message ?? 'invalid'}`);
}
