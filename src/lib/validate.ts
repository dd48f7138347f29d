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

/**
 * JSON 1.1 services that read members by hand (KMS, Secrets Manager, SSM): the body as an object, an unparsable or
 * non-object one being SerializationException; `str` reads a string member; `need` a required one, missing being
 * AWS's "Value null at 'member'" ValidationException.
 */
export type JsonObject = Record<string, unknown>;
export function parseJsonObject(body: Buffer): JsonObject {
  try {
    const v: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as JsonObject;
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
}
export const str = (b: JsonObject, k: string): string | undefined => (typeof b[k] === 'string' ? (b[k] as string) : undefined);
export function need(b: JsonObject, k: string): string {
  const v = str(b, k);
  if (v === undefined) throw new AwsError('ValidationException', `1 validation error detected: Value null at '${k[0]!.toLowerCase()}${k.slice(1)}' failed to satisfy constraint: Member must not be null`, { status: 400 });
  return v;
}

/** Applies a zod shape; a type mismatch names the field, as AWS's deserialiser does. */
export function shape<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.join('.') || 'body';
  throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Unexpected value for field '${path}': ${issue?.message ?? 'invalid'}`);
}
