// AutoPublishAlias: an AWS::Lambda::Version named by a hash of what changes it, an alias on it, and the
// DeploymentPreference (CodeDeploy) that shifts traffic between versions.
import { resolved, type TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import type { SamResource } from '../resource.js';
import { cfn, getAtt, isIntrinsic, isObj, ref, truthy, type CfnResource, type Generated, type Json, type JsonObject } from '../types.js';

export interface VersionResult {
  generated: Generated[];
  aliasId: string | undefined;
  aliasName: string;
  /** Registers the DeploymentPreference (after the URL, as the reference orders it) and sets the alias's UpdatePolicy. */
  deploymentPreference(): void;
}

/** Logical id of a Ref/GetAtt to a resource in this template (for layers with PublishLambdaVersion). */
function logicalIdOf(v: Json): string | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v['Ref'] === 'string') return v['Ref'];
  const g = v['Fn::GetAtt'];
  if (Array.isArray(g) && typeof g[0] === 'string') return g[0];
  return undefined;
}

function resolvedAliasName(r: SamResource, ctx: TransformContext, prop: string, v: Json): string {
  const name = ctx.resolver.resolveParameterRefs(structuredClone(v));
  if (typeof name !== 'string') throw new InvalidResourceError(r.id, `'${prop}' must be a string or a Ref to a template parameter`);
  return name;
}

function versionLogicalId(r: SamResource, ctx: TransformContext, fn: CfnResource, sha: string | undefined): string {
  const props = fn.Properties!;
  // Parameter refs are resolved in the function's Code itself (the reference resolves in place), so a new
  // parameter value gives a new version.
  props['Code'] = ctx.resolver.resolveParameterRefs(props['Code']!);
  let data: JsonObject;
  if (r.get('AutoPublishAliasAllProperties') === true) {
    data = structuredClone(props);
    const layers = props['Layers'];
    if (Array.isArray(layers)) {
      const samRes = (ctx.sam['Resources'] ?? {}) as JsonObject;
      for (const l of layers) {
        const id = logicalIdOf(l);
        const lr = id ? samRes[id] : undefined;
        if (!isObj(lr)) continue;
        const lp = isObj(lr['Properties']) ? lr['Properties'] : {};
        if (truthy(lp['PublishLambdaVersion'])) data[id!] = lp;
      }
    }
  } else {
    data = { ...(props['Code'] as JsonObject) };
    if (truthy(props['Environment']) && isObj(props['Environment'])) Object.assign(data, props['Environment']);
    if (truthy(props['MemorySize'])) data['MemorySize'] = props['MemorySize']!;
    const snap = props['SnapStart'];
    if (isObj(snap) && truthy(snap) && (snap['ApplyOn'] ?? 'None') !== 'None') data['SnapStart'] = snap;
  }
  return logicalId(`${r.id}Version`, data, sha);
}

export function versionAndAlias(r: SamResource, ctx: TransformContext, fn: CfnResource): VersionResult {
  const generated: Generated[] = [];
  const alias = r.get('AutoPublishAlias');
  let aliasId: string | undefined;
  let aliasName = '';
  let aliasRes: CfnResource | undefined;
  if (truthy(alias)) {
    aliasName = resolvedAliasName(r, ctx, 'AutoPublishAlias', alias!);
    let sha: string | undefined;
    const shaProp = r.get('AutoPublishCodeSha256');
    if (truthy(shaProp)) {
      const s = ctx.resolver.resolveParameterRefs(structuredClone(shaProp!));
      if (typeof s !== 'string') throw new InvalidResourceError(r.id, 'AutoPublishCodeSha256 must be a string');
      sha = s;
      // Lambda publishes no new version for unchanged code, so the hash goes into the description too.
      const desc = ctx.resolver.resolveParameterRefs(structuredClone(r.get('Description')));
      fn.Properties!['Description'] = !truthy(desc) ? sha : typeof desc === 'string' ? `${desc} ${sha}` : { 'Fn::Join': [' ', [desc!, sha]] };
    }
    const vid = versionLogicalId(r, ctx, fn, sha);
    const attrs: JsonObject = r.passthrough();
    if (!('DeletionPolicy' in attrs)) attrs['DeletionPolicy'] = r.get('VersionDeletionPolicy') ?? (r.get('CapacityProviderConfig') !== undefined ? 'Delete' : 'Retain');
    const scaling = r.get('CapacityProviderConfig') !== undefined && r.get('FunctionScalingConfig') !== undefined ? r.get('FunctionScalingConfig') : undefined;
    const version = cfn('AWS::Lambda::Version', { Description: r.get('VersionDescription'), FunctionName: ref(r.id), FunctionScalingConfig: scaling }, attrs);
    if (!aliasName) throw new InvalidResourceError(r.id, 'Alias name is required to create an alias');
    if (!/^(?!^[0-9]+$)([a-zA-Z0-9\-_]+)$/.test(aliasName)) {
      throw new InvalidResourceError(
        r.id,
        `AutoPublishAlias name ('${aliasName}') must contain only alphanumeric characters, hyphens, or underscores matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern.`,
      );
    }
    aliasId = `${r.id}Alias${aliasName.replace(/-/g, 'D').replace(/_/g, 'U')}`;
    aliasRes = cfn(
      'AWS::Lambda::Alias',
      { Name: aliasName, FunctionName: ref(r.id), FunctionVersion: getAtt(vid, 'Version'), ProvisionedConcurrencyConfig: truthy(r.get('ProvisionedConcurrencyConfig')) ? r.get('ProvisionedConcurrencyConfig') : undefined },
      r.passthrough(),
    );
    generated.push({ id: vid, resource: version }, { id: aliasId, resource: aliasRes });
  }
  const deploymentPreference = (): void => {
    const dp = r.get('DeploymentPreference');
    if (!truthy(dp) || !isObj(dp)) return;
    if ('Enabled' in dp) dp['Enabled'] = resolved(ctx, dp['Enabled']) ?? null;
    if ('Type' in dp) dp['Type'] = resolved(ctx, dp['Type']) ?? null;
    if ('PassthroughCondition' in dp) dp['PassthroughCondition'] = toBoolean(r, ctx, dp['PassthroughCondition']!, 'PassthroughCondition');
    else dp['PassthroughCondition'] = false;
    const tags = r.get('Tags');
    const pref = ctx.deployments.add(r.id, dp, r.attrs['Condition'], isObj(tags) ? tags : undefined, r.get('PropagateTags') === true);
    if (pref.enabled) {
      if (!truthy(alias)) throw new InvalidResourceError(r.id, "'DeploymentPreference' requires AutoPublishAlias property to be specified.");
      aliasRes!.UpdatePolicy = ctx.deployments.updatePolicy(r.id);
    }
  };
  return { generated, aliasId, aliasName, deploymentPreference };
}

/** _resolve_property_to_boolean: parameters and FindInMap resolved, then true/false in SAM's accepted spellings. */
export function toBoolean(r: SamResource, ctx: TransformContext, v: Json, name: string): boolean {
  const x = resolved(ctx, v);
  if (x === true || x === 'true' || x === 'True') return true;
  if (x === false || x === 'false' || x === 'False') return false;
  if (isIntrinsic(x)) throw new InvalidResourceError(r.id, `Unsupported intrinsic: the only intrinsic functions supported for property ${name} are FindInMap and parameter Refs.`);
  throw new InvalidResourceError(r.id, `Invalid value for property ${name}.`);
}
