// What every resource provider is built from: its context, what a created resource records, the provider shape,
// and CloudFormation's generated physical names.
import { randomBytes } from 'node:crypto';
import type { Json, JsonObject } from '../template/index.js';
import type { Caller } from './call.js';

export interface ProviderContext {
  call: Caller;
  region: string;
  accountId: string;
  stackName: string;
  logicalId: string;
}

export interface Created {
  physicalId: string;
  /** Ref's value when it is not the physical id. */
  ref?: string;
  attributes: Record<string, Json>;
  /** The properties it was created or last updated with (set by the engine; an update compares against them). */
  properties?: JsonObject;
}

export interface Provider {
  create(p: JsonObject, c: ProviderContext): Promise<Created>;
  /** Updates in place; absent: every change replaces the resource. */
  update?(p: JsonObject, old: Created, c: ProviderContext): Promise<Created>;
  delete(r: Created, p: JsonObject, c: ProviderContext): Promise<void>;
  /** Properties whose change needs a replacement (the schema's createOnlyProperties). */
  createOnly: string[];
}

/** CloudFormation's generated names: stack-logical-RANDOM, cut to the type's limit. */
export function physicalName(c: ProviderContext, max = 64): string {
  const suffix = randomBytes(6).toString('hex').toUpperCase().slice(0, 12);
  const head = `${c.stackName}-${c.logicalId}`.slice(0, max - suffix.length - 1);
  return `${head}-${suffix}`;
}

export const s = (v: Json | undefined): string | undefined => (v === undefined || v === null ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
export const arn = (c: ProviderContext, svc: string, rest: string): string => `arn:aws:${svc}:${c.region}:${c.accountId}:${rest}`;


/** The properties among `keys` that the template sets (not null), as a provider passes them on to an API. */
export const pick = (p: JsonObject, keys: string[]): Record<string, Json> => Object.fromEntries(keys.filter((k) => p[k] !== undefined && p[k] !== null).map((k) => [k, p[k]!]));
