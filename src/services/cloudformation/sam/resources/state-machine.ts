// AWS::Serverless::StateMachine → AWS::StepFunctions::StateMachine, its role, version/alias and event sources.
import { type TransformContext, xrayPolicyName } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { pyJsonIndent } from '../hash.js';
import { assumeRolePolicy, buildRole, policiesList } from '../iam.js';
import type { EventTranslator, ResourceTranslator, SamEvent } from '../registry.js';
import type { SamResource } from '../resource.js';
import { propagateTags } from '../tags.js';
import { cfn, getAtt, isIntrinsic, isObj, ref, tagList, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { dictOf, listOf, noIntrinsics, oneOf, validateProps, type Spec } from '../validate.js';
import { parseS3Uri } from './code.js';
import { checkEvents } from './function.js';

const SPEC: Spec = {
  Definition: 'map', DefinitionUri: oneOf('string', 'map'), Logging: 'map', Role: 'string', RolePath: 'any', DefinitionSubstitutions: 'map',
  Events: dictOf('map'), Name: 'string', Type: 'string', Tags: 'map', PropagateTags: 'bool', Policies: oneOf('string', listOf(oneOf('string', 'map'))),
  Tracing: 'map', PermissionsBoundary: 'string', AutoPublishAlias: 'any', DeploymentPreference: 'any', UseAliasAsEventTarget: noIntrinsics('bool'),
};

/** What a state machine hands its events: the target (alias when UseAliasAsEventTarget) and attributes to copy. */
export interface StateMachineTarget {
  sam: SamResource;
  stateMachineId: string;
  /** Logical id of the event target: the state machine or its alias. */
  targetId: string;
  arn: Json;
  passthrough: JsonObject;
  permissionsBoundary: Json | undefined;
}

const isDynamicReference = (v: Json): boolean => typeof v === 'string' && /^\{\{resolve:.+:.+\}\}$/s.test(v);

/** Intrinsics (and dynamic references) inside an inline Definition move into DefinitionSubstitutions. */
function substituteDynamicValues(def: Json): JsonObject {
  const subs: JsonObject = {};
  let n = 1;
  const walk = (node: Json): void => {
    let entries: [string | number, Json][];
    if (Array.isArray(node)) entries = node.map((v, i) => [i, v]);
    else if (isObj(node)) entries = Object.entries(node).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    else return;
    for (const [k, v] of entries) {
      if (isIntrinsic(v) || isDynamicReference(v)) {
        subs[`definition_substitution_${n}`] = v;
        const key = `\${definition_substitution_${n}}`;
        n++;
        if (Array.isArray(node)) node[k as number] = key;
        else (node as JsonObject)[k as string] = key;
      } else if (Array.isArray(v) || isObj(v)) walk(v);
    }
  };
  walk(def);
  return subs;
}

function definitionS3(r: SamResource, uri: Json): JsonObject {
  let p: JsonObject;
  if (isObj(uri)) {
    if (!truthy(uri['Bucket']) || !truthy(uri['Key'])) throw new InvalidResourceError(r.id, "'DefinitionUri' requires Bucket and Key properties to be specified.");
    p = uri;
  } else {
    const s = parseS3Uri(uri);
    if (!s) throw new InvalidResourceError(r.id, "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.");
    p = s as unknown as JsonObject;
  }
  const out: JsonObject = { Bucket: p['Bucket']!, Key: p['Key']! };
  if ('Version' in p) out['Version'] = p['Version']!;
  return out;
}

function parseEvents(r: SamResource, ctx: TransformContext): [SamEvent, EventTranslator<StateMachineTarget>][] {
  const evs = r.get('Events');
  return isObj(evs) ? checkEvents(r.id, Object.entries(evs), ctx.registry.stateMachineEvents as Map<string, EventTranslator<StateMachineTarget>>, ctx) : [];
}

function eventResources(parsed: [SamEvent, EventTranslator<StateMachineTarget>][], ctx: TransformContext, target: StateMachineTarget): Generated[] {
  // Unlike a Function's, a state machine's event errors are reported as the event's own.
  return parsed.flatMap(([ev, t]) => t.translate(ev, target, ctx));
}

export const stateMachineTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::StateMachine',
  phase: 'stateMachine',
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, SPEC);
    const parsed = parseEvents(r, ctx);
    const out: Generated[] = [];
    const tags = r.get('Tags');
    const tagsList = [{ Key: 'stateMachine:createdBy', Value: 'SAM' }, ...tagList(isObj(tags) ? tags : undefined)];
    const props: Record<string, Json | undefined> = {};
    const subs = r.get('DefinitionSubstitutions');
    if (truthy(subs)) props['DefinitionSubstitutions'] = subs;
    const def = r.get('Definition');
    const uri = r.get('DefinitionUri');
    if (truthy(def) && truthy(uri)) throw new InvalidResourceError(r.id, "Specify either 'Definition' or 'DefinitionUri' property and not both.");
    if (truthy(def)) {
      const d = structuredClone(def!);
      const s = substituteDynamicValues(d);
      if (Object.keys(s).length > 0) props['DefinitionSubstitutions'] = { ...(isObj(props['DefinitionSubstitutions']) ? props['DefinitionSubstitutions'] : {}), ...s };
      props['DefinitionString'] = { 'Fn::Join': ['\n', pyJsonIndent(d).split('\n')] };
    } else if (truthy(uri)) props['DefinitionS3Location'] = definitionS3(r, uri!);
    else throw new InvalidResourceError(r.id, "Either 'Definition' or 'DefinitionUri' property must be specified.");
    const role = r.get('Role');
    const policies = r.get('Policies');
    if (truthy(role) && truthy(policies)) throw new InvalidResourceError(r.id, "Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them");
    const sm = cfn('AWS::StepFunctions::StateMachine', {}, { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs });
    out.push({ id: r.id, resource: sm });
    if (truthy(role)) props['RoleArn'] = role;
    else {
      const list = policiesList(policies);
      const tracing = r.get('Tracing');
      if (isObj(tracing) && tracing['Enabled'] === true) list.push(xrayPolicyName(ctx));
      const g = buildRole(ctx, {
        ownerId: r.id,
        attributes: r.passthrough(),
        assumeRolePolicy: assumeRolePolicy('states.amazonaws.com'),
        policies: list,
        managedArns: [],
        policyDocuments: [],
        path: r.get('RolePath'),
        permissionsBoundary: r.get('PermissionsBoundary'),
        tags: tagsList,
      });
      props['RoleArn'] = getAtt(g.id, 'Arn');
      out.push(g);
    }
    Object.assign(props, { StateMachineName: r.get('Name'), StateMachineType: r.get('Type'), LoggingConfiguration: r.get('Logging'), TracingConfiguration: r.get('Tracing'), Tags: tagsList });
    for (const [k, v] of Object.entries(props)) if (v !== undefined) sm.Properties![k] = v;
    const alias = r.get('AutoPublishAlias');
    const dp = r.get('DeploymentPreference');
    const useAlias = r.get('UseAliasAsEventTarget');
    let aliasId: string | undefined;
    if (!truthy(alias) && truthy(useAlias)) throw new InvalidResourceError(r.id, "'UseAliasAsEventTarget' requires 'AutoPublishAlias' property to be specified.");
    if (!truthy(alias) && truthy(dp)) throw new InvalidResourceError(r.id, "'DeploymentPreference' requires 'AutoPublishAlias' property to be specified.");
    if (truthy(alias)) {
      const attrs = r.passthrough();
      if (!('DeletionPolicy' in attrs)) attrs['DeletionPolicy'] = 'Retain';
      if (!('UpdateReplacePolicy' in attrs)) attrs['UpdateReplacePolicy'] = 'Retain';
      const vid = `${r.id}Version`;
      out.push({ id: vid, resource: cfn('AWS::StepFunctions::StateMachineVersion', { StateMachineArn: ref(r.id), StateMachineRevisionId: getAtt(r.id, 'StateMachineRevisionId') }, attrs) });
      aliasId = `${r.id}Alias${String(alias)}`;
      const pref: JsonObject = truthy(dp) && isObj(dp) ? dp : { Type: 'ALL_AT_ONCE' };
      pref['StateMachineVersionArn'] = ref(vid);
      out.push({ id: aliasId, resource: cfn('AWS::StepFunctions::StateMachineAlias', { Name: alias, DeploymentPreference: pref }, r.passthrough()) });
    }
    const targetId = truthy(useAlias) && aliasId ? aliasId : r.id;
    const target: StateMachineTarget = { sam: r, stateMachineId: r.id, targetId, arn: ref(targetId), passthrough: r.passthrough(), permissionsBoundary: r.get('PermissionsBoundary') };
    out.push(...eventResources(parsed, ctx, target));
    propagateTags(out, tags, r.get('PropagateTags'));
    return out;
  },
};

