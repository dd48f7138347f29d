// Everything a translator may read or change during one transform: options, parameters, the output template.
import { MANAGED_POLICIES } from './data/managed-policies.data.js';
import { IntrinsicsResolver, ResourceRefs, resolveFindInMap } from './intrinsics.js';
import type { Registry } from './registry.js';
import { isObj, type Json, type JsonObject } from './types.js';
import type { DeploymentPreferences } from './resources/deployment-preference.js';

const PARTITIONS: [string, string][] = [
  ['cn-', 'aws-cn'], ['us-iso-', 'aws-iso'], ['us-isob', 'aws-iso-b'], ['us-gov', 'aws-us-gov'], ['eu-isoe', 'aws-iso-e'], ['us-isof', 'aws-iso-f'], ['eusc-', 'aws-eusc'],
];

export function partitionOf(region: string): string {
  const r = region.toLowerCase();
  for (const [prefix, p] of PARTITIONS) if (r.startsWith(prefix)) return p;
  return 'aws';
}

let bundled: Map<string, Map<string, string>> | undefined;
/** Name → ARN of AWS managed policies per partition, built once from the generated data module. */
function bundledPolicies(partition: string): Map<string, string> | undefined {
  if (!bundled) {
    bundled = new Map();
    for (const [part, byPath] of Object.entries(MANAGED_POLICIES)) {
      const m = new Map<string, string>();
      for (const [path, names] of Object.entries(byPath)) for (const n of names.split(' ')) m.set(n, `arn:${part}:iam::aws:policy/${path}${n}`);
      bundled.set(part, m);
    }
  }
  return bundled.get(partition);
}

export interface TransformContext {
  readonly registry: Registry;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string | undefined;
  /** Parameter values (overrides, then template defaults, then AWS::Region and AWS::Partition). */
  readonly params: Record<string, Json>;
  readonly resolver: IntrinsicsResolver;
  readonly mappings: JsonObject;
  /** The SAM template after plugins (Globals applied): translators read other resources from here. */
  readonly sam: JsonObject;
  /** The output template being built; `out.Resources` holds what is generated so far. */
  readonly out: JsonObject;
  readonly refs: ResourceRefs;
  /** Logical ids the transform changed (a LayerVersion gets a hash suffix): old → new. */
  readonly renamed: Record<string, string>;
  readonly deployments: DeploymentPreferences;
  readonly managedPolicyMap: Record<string, string>;
  /** TransformOptions.integralFloats. */
  readonly integralFloats: ReadonlySet<string> | undefined;
  /** Scratch space shared between translators of one run (e.g. an implicit API collecting events), by key. */
  readonly shared: Map<string, unknown>;
}

export const samResources = (ctx: TransformContext): JsonObject => (isObj(ctx.sam['Resources']) ? ctx.sam['Resources'] : {});
export const outResources = (ctx: TransformContext): JsonObject => ctx.out['Resources'] as JsonObject;

/** The template's Conditions section of the output, created when a translator adds the first one. */
export function outConditions(ctx: TransformContext): JsonObject {
  if (!isObj(ctx.out['Conditions'])) ctx.out['Conditions'] = {};
  return ctx.out['Conditions'] as JsonObject;
}

export const managedArn = (ctx: TransformContext, name: string): string => `arn:${ctx.partition}:iam::aws:policy/${name}`;

/** A managed policy name to its ARN: caller's map, then the bundled list, then an ARN as is, else the name unchanged. */
export function managedPolicyArn(ctx: TransformContext, name: string): string {
  const own = ctx.managedPolicyMap[name];
  if (own) return own;
  const b = bundledPolicies(ctx.partition)?.get(name);
  if (b) return b;
  return name;
}

/** Ref/Sub on parameters, then FindInMap, on a copy (for values the transform must read, not emit). */
export function resolved(ctx: TransformContext, v: Json | undefined): Json | undefined {
  if (v === undefined) return v;
  return resolveFindInMap(ctx.resolver.resolveParameterRefs(structuredClone(v)), ctx.mappings);
}

/** The X-Ray managed policy name for this partition, as samtranslator picks it. */
export const xrayPolicyName = (ctx: TransformContext): string => (ctx.partition === 'aws' ? 'AWSXrayWriteOnlyAccess' : 'AWSXRayDaemonWriteAccess');
