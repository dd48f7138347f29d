// Shared shapes of the SAM transform: JSON values, CloudFormation resources, and small helpers on them.
import type { Json, JsonObject } from '../template/parse.js';

export type { Json, JsonObject };

export interface TransformOptions {
  region: string;
  accountId?: string;
  partition?: string;
  /** Values for template parameters (strings, as `--parameter-overrides` gives them). */
  parameterOverrides?: Record<string, Json>;
  /** Managed policy name → ARN, consulted before the bundled AWS list (as the reference's policy loader). */
  managedPolicyMap?: Record<string, string>;
  /** Copy a SAM resource's Metadata onto the resources generated from it (SAM CLI's passthrough_metadata). */
  passthroughMetadata?: boolean;
  /**
   * JSON pointers of the input's integral numbers written as floats (`readTemplate`'s `integralFloats`): where SAM's
   * behaviour depends on Python's int/float (OpenApiVersion `3` is refused, `3.0` read as "3.0"). Without it, every
   * integral number there counts as a float.
   */
  integralFloats?: ReadonlySet<string>;
}

/** A resource as it appears in a CloudFormation template (attributes beside Properties). */
export interface CfnResource {
  Type: string;
  Properties?: JsonObject;
  DependsOn?: Json;
  Condition?: Json;
  DeletionPolicy?: Json;
  UpdateReplacePolicy?: Json;
  UpdatePolicy?: Json;
  Metadata?: Json;
  [attr: string]: Json | undefined;
}

/** A generated resource with its logical id. */
export interface Generated {
  id: string;
  resource: CfnResource;
}

export const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A one-key object whose key is Ref, Condition or Fn::* (what samtranslator calls an intrinsic). */
export function isIntrinsic(v: unknown): v is JsonObject {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  if (keys.length !== 1) return false;
  const k = keys[0]!;
  return k === 'Ref' || k === 'Condition' || k.startsWith('Fn::');
}

export const isIf = (v: unknown): v is { 'Fn::If': Json } => isObj(v) && Object.keys(v).length === 1 && 'Fn::If' in v;
export const isNoValue = (v: unknown): boolean => isObj(v) && Object.keys(v).length === 1 && v['Ref'] === 'AWS::NoValue';

export const clone = <T>(v: T): T => (v === undefined ? v : (structuredClone(v) as T));

export const ref = (id: string): JsonObject => ({ Ref: id });
export const getAtt = (id: string, attr: string): JsonObject => ({ 'Fn::GetAtt': [id, attr] });
export const sub = (s: string, vars?: JsonObject): JsonObject => ({ 'Fn::Sub': vars ? [s, vars] : s });

/** Builds a resource, dropping properties whose value is undefined (samtranslator omits None). */
export function cfn(type: string, props: Record<string, Json | undefined>, attrs: Record<string, Json | undefined> = {}): CfnResource {
  const r: CfnResource = { Type: type };
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) r[k] = v;
  const p: JsonObject = {};
  for (const [k, v] of Object.entries(props)) if (v !== undefined) p[k] = v;
  r.Properties = p;
  return r;
}

/** Python truthiness of a JSON value (empty string, list, map, 0, false, null are false). */
export function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
}

/** `{Key, Value}` pairs from a tags map, in the map's order. */
export const tagList = (tags: JsonObject | undefined): JsonObject[] => (tags ? Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) : []);
