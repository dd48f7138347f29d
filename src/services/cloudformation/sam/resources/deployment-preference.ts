// DeploymentPreference: gradual Lambda deployments through CodeDeploy (application, service role, groups).
import { managedArn, outConditions, type TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { ifItems } from '../iam.js';
import { cfn, getAtt, isIf, isIntrinsic, isNoValue, ref, tagList, truthy, type Generated, type Json, type JsonObject } from '../types.js';

const APP_ID = 'ServerlessDeploymentApplication';
const ROLE_ID = 'CodeDeployServiceRole';
const CONDITION = 'ServerlessCodeDeployCondition';
const PREDEFINED = [
  'Canary10Percent5Minutes', 'Canary10Percent10Minutes', 'Canary10Percent15Minutes', 'Canary10Percent30Minutes', 'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes', 'Linear10PercentEvery3Minutes', 'Linear10PercentEvery10Minutes', 'AllAtOnce',
];

interface Preference {
  enabled: boolean;
  type?: Json;
  preTraffic?: Json;
  postTraffic?: Json;
  alarms?: Json;
  role?: Json;
  triggers?: Json;
  condition?: Json;
  tags?: JsonObject;
  propagateTags?: boolean;
}

/** Collects the functions' preferences during the run; the CodeDeploy resources are emitted once at the end. */
export class DeploymentPreferences {
  private readonly prefs = new Map<string, Preference>();

  add(ownerId: string, d: JsonObject, condition: Json | undefined, tags: JsonObject | undefined, propagateTags: boolean): Preference {
    let enabled = d['Enabled'] ?? true;
    if (enabled === 'false' || enabled === 'False') enabled = false;
    if (!truthy(enabled)) {
      const p: Preference = { enabled: false };
      this.prefs.set(ownerId, p);
      return p;
    }
    if (!('Type' in d)) throw new InvalidResourceError(ownerId, "'DeploymentPreference' is missing required Property 'Type'");
    const hooks = d['Hooks'] ?? {};
    if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks)) throw new InvalidResourceError(ownerId, "'Hooks' property of 'DeploymentPreference' must be a dictionary");
    const h = hooks as JsonObject;
    const passthrough = d['PassthroughCondition'] ?? false;
    const p: Preference = {
      enabled: true,
      type: d['Type'],
      preTraffic: h['PreTraffic'] ?? undefined,
      postTraffic: h['PostTraffic'] ?? undefined,
      alarms: d['Alarms'] ?? undefined,
      role: d['Role'] ?? undefined,
      triggers: d['TriggerConfigurations'] ?? undefined,
      condition: passthrough ? (condition ?? undefined) : undefined,
      tags: propagateTags && tags && Object.keys(tags).length > 0 ? tags : undefined,
      propagateTags,
    };
    this.prefs.set(ownerId, p);
    return p;
  }

  /** The alias's UpdatePolicy attribute. */
  updatePolicy(ownerId: string): JsonObject {
    const p = this.prefs.get(ownerId)!;
    const u: JsonObject = { ApplicationName: ref(APP_ID), DeploymentGroupName: ref(`${ownerId}DeploymentGroup`) };
    if (p.preTraffic !== undefined && p.preTraffic !== null) u['BeforeAllowTrafficHook'] = p.preTraffic;
    if (p.postTraffic !== undefined && p.postTraffic !== null) u['AfterAllowTrafficHook'] = p.postTraffic;
    return { CodeDeployLambdaAliasUpdate: u };
  }

  private conditions(): Json[] {
    const seen: Json[] = [];
    for (const p of this.prefs.values()) if (p.condition !== undefined && !seen.some((s) => JSON.stringify(s) === JSON.stringify(p.condition))) seen.push(p.condition);
    return seen;
  }

  private needsCondition(): boolean {
    return this.prefs.size > 0 && ![...this.prefs.values()].some((p) => p.condition === undefined && p.enabled);
  }

  /** ServerlessDeploymentApplication, CodeDeployServiceRole (unless every group has a Role) and one group per function. */
  finish(ctx: TransformContext): { generated: Generated[]; errors: Error[] } {
    const generated: Generated[] = [];
    const errors: Error[] = [];
    const all = [...this.prefs.values()];
    if (!all.some((p) => p.enabled)) return { generated, errors };
    const merged: JsonObject = {};
    for (const p of all) if (p.enabled && p.propagateTags && p.tags) Object.assign(merged, p.tags);
    let condition: Json | undefined;
    if (this.needsCondition()) {
      const cs = this.conditions();
      condition = cs.length <= 1 ? cs[0] : CONDITION;
      if (cs.length >= 2) Object.assign(outConditions(ctx), combinedCondition(cs as string[], CONDITION));
    }
    const app = cfn('AWS::CodeDeploy::Application', { ComputePlatform: 'Lambda', Tags: Object.keys(merged).length ? tagList(merged) : undefined }, { Condition: condition });
    generated.push({ id: APP_ID, resource: app });
    if (!all.every((p) => p.role !== undefined || !p.enabled)) {
      const policy = ['aws-iso', 'aws-iso-b'].includes(ctx.partition) ? 'service-role/AWSCodeDeployRoleForLambdaLimited' : 'service-role/AWSCodeDeployRoleForLambda';
      const role = cfn(
        'AWS::IAM::Role',
        {
          AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: ['codedeploy.amazonaws.com'] } }] },
          ManagedPolicyArns: [managedArn(ctx, policy)],
          Tags: Object.keys(merged).length ? tagList(merged) : undefined,
        },
        { Condition: condition },
      );
      generated.push({ id: ROLE_ID, resource: role });
    }
    for (const [id, p] of this.prefs) {
      if (!p.enabled) continue;
      try {
        let alarms: Json | undefined;
        try {
          alarms = convertAlarms(p.alarms);
        } catch (e) {
          throw new InvalidResourceError(id, (e as Error).message);
        }
        const group = cfn(
          'AWS::CodeDeploy::DeploymentGroup',
          {
            AlarmConfiguration: alarms,
            ApplicationName: ref(APP_ID),
            AutoRollbackConfiguration: { Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'] },
            DeploymentConfigName: replaceTypes(structuredClone(p.type ?? null)),
            DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
            ServiceRoleArn: truthy(p.role) ? p.role : getAtt(ROLE_ID, 'Arn'),
            TriggerConfigurations: truthy(p.triggers) ? p.triggers : undefined,
            Tags: p.tags ? tagList(p.tags) : undefined,
          },
          { Condition: p.condition },
        );
        generated.push({ id: `${id}DeploymentGroup`, resource: group });
      } catch (e) {
        errors.push(e as Error);
      }
    }
    return { generated, errors };
  }
}

function alarmConfiguration(alarms: Json | undefined): JsonObject {
  if (!Array.isArray(alarms)) throw new Error('Alarms must be a list');
  if (alarms.length === 0 || isNoValue(alarms[0])) return {};
  return { Enabled: true, Alarms: alarms.map((a) => ({ Name: a })) };
}

function convertAlarms(alarms: Json | undefined): Json | undefined {
  if (!truthy(alarms) || isNoValue(alarms)) return undefined;
  if (isIf(alarms)) {
    const copy = structuredClone(alarms);
    const items = ifItems(copy['Fn::If']);
    const list = copy['Fn::If'] as Json[];
    list[1] = alarmConfiguration(items[1]);
    list[2] = alarmConfiguration(items[2]);
    return copy;
  }
  return alarmConfiguration(alarms);
}

function replaceTypes(v: Json, key?: string): Json {
  if (Array.isArray(v)) return v.map((x) => replaceTypes(x));
  if (isIntrinsic(v)) {
    for (const [k, x] of Object.entries(v)) v[k] = replaceTypes(x, k);
    return v;
  }
  if (typeof v === 'string' && PREDEFINED.includes(v)) {
    if (key === 'Fn::Sub') return ['CodeDeployDefault.Lambda${ConfigName}', { ConfigName: v }];
    return { 'Fn::Sub': ['CodeDeployDefault.Lambda${ConfigName}', { ConfigName: v }] };
  }
  return v;
}

/** Fn::Or over condition names, chained in groups of ten as samtranslator's make_combined_condition. */
export function combinedCondition(names: string[], base: string): JsonObject {
  const out: JsonObject = {};
  let list = [...names];
  let extra = Math.ceil((list.length - 1) / 9) - 1;
  while (list.length > 1) {
    let name = base;
    if (extra > 0) {
      name = `${base}${extra}`;
      extra--;
    }
    out[name] = { 'Fn::Or': list.slice(0, 10).map((c) => ({ Condition: c })) };
    list = [...list.slice(10), name];
  }
  return out;
}
