// AWS::Serverless::LayerVersion → AWS::Lambda::LayerVersion under a hashed logical id (references follow the rename).
import type { TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import type { ResourceTranslator } from '../registry.js';
import type { SamResource } from '../resource.js';
import { cfn, isIntrinsic, truthy, type Json, type JsonObject } from '../types.js';
import { listOf, oneOf, validateProps, type Spec } from '../validate.js';
import { s3Location } from './code.js';

const SPEC: Spec = {
  LayerName: oneOf('string', 'map'), Description: 'string', PublishLambdaVersion: 'bool', ContentUri: { check: oneOf('string', 'map'), required: true },
  CompatibleArchitectures: listOf(oneOf('string', 'map')), CompatibleRuntimes: listOf(oneOf('string', 'map')), LicenseInfo: 'string', RetentionPolicy: 'string',
};
const ORDER = ['LayerName', 'Description', 'PublishLambdaVersion', 'ContentUri', 'CompatibleArchitectures', 'CompatibleRuntimes', 'LicenseInfo', 'RetentionPolicy'];

function resolveString(r: SamResource, ctx: TransformContext, name: string): Json | undefined {
  const v = r.props[name];
  if (!truthy(v)) return v ?? undefined;
  const x = ctx.resolver.resolveParameterRefs(structuredClone(v!));
  if (typeof x !== 'string' && (typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw new InvalidResourceError(r.id, `Could not resolve parameter for '${name}' or parameter is not a String.`);
  }
  return x;
}

function retentionPolicy(r: SamResource, v: Json | undefined): string | undefined {
  const opts = "['Retain', 'Delete']";
  if (isIntrinsic(v)) throw new InvalidResourceError(r.id, `'RetentionPolicy' does not accept intrinsic functions, please use one of the following options: ${opts}`);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InvalidResourceError(r.id, `Invalid 'RetentionPolicy' type, please use one of the following options: ${opts}`);
  for (const o of ['Retain', 'Delete']) if (v.toLowerCase() === o.toLowerCase()) return o;
  throw new InvalidResourceError(r.id, `'RetentionPolicy' must be one of the following options: ${opts}.`);
}

export const layerTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::LayerVersion',
  phase: 'other',
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, SPEC);
    const props: JsonObject = { ...r.props };
    for (const k of ['LayerName', 'LicenseInfo', 'Description', 'RetentionPolicy']) {
      const v = resolveString(r, ctx, k);
      if (v !== undefined) props[k] = v;
    }
    const retention = retentionPolicy(r, props['RetentionPolicy'] ?? undefined);
    const attrs = r.passthrough();
    if (!('DeletionPolicy' in attrs)) attrs['DeletionPolicy'] = 'Retain';
    if (retention !== undefined) attrs['DeletionPolicy'] = retention;
    // The id hashes the SAM resource as samtranslator serialises it (deletion attributes and Metadata left out),
    // so that any change publishes a new layer version.
    const hashed: JsonObject = { Type: r.type };
    if (truthy(r.dependsOn)) hashed['DependsOn'] = r.dependsOn!;
    for (const [k, v] of Object.entries(r.attrs)) if (k !== 'DeletionPolicy' && k !== 'UpdateReplacePolicy' && k !== 'Metadata') hashed[k] = v;
    const hp: JsonObject = {};
    for (const k of ORDER) if (props[k] !== undefined && props[k] !== null) hp[k] = props[k]!;
    hashed['Properties'] = hp;
    const id = logicalId(r.id, { [r.id]: hashed });
    const layer = cfn(
      'AWS::Lambda::LayerVersion',
      {
        LayerName: truthy(props['LayerName']) ? props['LayerName'] : r.id,
        Description: props['Description'] ?? undefined,
        Content: s3Location(props['ContentUri'], id, 'ContentUri'),
        CompatibleArchitectures: props['CompatibleArchitectures'] ?? undefined,
        CompatibleRuntimes: props['CompatibleRuntimes'] ?? undefined,
        LicenseInfo: props['LicenseInfo'] ?? undefined,
      },
      { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...attrs },
    );
    const archs = props['CompatibleArchitectures'];
    const list = truthy(archs) ? archs : ['x86_64'];
    if (!isIntrinsic(list) && Array.isArray(list)) {
      for (const a of list) if (!isIntrinsic(a) && a !== 'arm64' && a !== 'x86_64') throw new InvalidResourceError(id, "CompatibleArchitectures needs to be a list of 'x86_64' or 'arm64'");
    }
    ctx.renamed[r.id] = id;
    return [{ id, resource: layer }];
  },
};
