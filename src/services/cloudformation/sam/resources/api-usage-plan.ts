// Usage plans of REST APIs (Auth.UsagePlan): PER_API resources, or one SHARED plan/key across every API.
import { outConditions, type TransformContext } from '../context.js';
import { InvalidResourceError, InvalidTemplateError } from '../errors.js';
import { isDict, str, toJson, truthy, type PyDict } from '../openapi/py27.js';
import { cfn, isObj, type Generated, type Json, type JsonObject } from '../types.js';

const KEYS = ['CreateUsagePlan', 'Description', 'Quota', 'Tags', 'Throttle', 'UsagePlanName'];
const COND = 'SharedUsagePlanCondition';

interface Shared {
  dependsOn: string[];
  apiStages: JsonObject[];
  stageKeys: JsonObject[];
  conditions: Set<string>;
  anyWithout: boolean;
  deletion?: string;
  replace?: string;
}

function shared(ctx: TransformContext): Shared {
  let s = ctx.shared.get('sam-api:usage-plan') as Shared | undefined;
  if (!s) ctx.shared.set('sam-api:usage-plan', (s = { dependsOn: [], apiStages: [], stageKeys: [], conditions: new Set(), anyWithout: false }));
  return s;
}

function combinedAttrs(ctx: TransformContext, s: Shared, attrs: JsonObject): JsonObject {
  const dp = attrs['DeletionPolicy'] as string | undefined;
  if (dp) {
    if (s.deletion) {
      if (dp === 'Retain') s.deletion = dp;
    } else s.deletion = dp;
  }
  const urp = attrs['UpdateReplacePolicy'] as string | undefined;
  if (urp) {
    if (s.replace) {
      if (urp === 'Retain' || (urp === 'Snapshot' && s.replace === 'Delete')) s.replace = urp;
    } else s.replace = urp;
  }
  const cond = attrs['Condition'] as string | undefined;
  if (!s.anyWithout) {
    if (cond && !s.conditions.has(cond)) {
      if (!isObj(ctx.sam['Conditions'])) throw new InvalidTemplateError("Can't have condition without having 'Conditions' section in the template");
      s.conditions.add(cond);
      outConditions(ctx)[COND] = s.conditions.size > 1 ? { 'Fn::Or': [...s.conditions].map((c) => ({ Condition: c })) } : cond;
    } else if (cond === undefined) {
      s.anyWithout = true;
      const c = ctx.out['Conditions'];
      if (isObj(c)) delete c[COND];
    }
  }
  const out: JsonObject = {};
  if (s.deletion) out['DeletionPolicy'] = s.deletion;
  if (s.replace) out['UpdateReplacePolicy'] = s.replace;
  if (s.conditions.size && !s.anyWithout) out['Condition'] = COND;
  return out;
}

export function usagePlan(ctx: TransformContext, apiId: string, auth: PyDict | undefined, stageId: string, attrs: JsonObject): Generated[] {
  if (!auth || !truthy(auth)) return [];
  const up = auth.get('UsagePlan');
  if (up === undefined || up === null) return [];
  if (!isDict(up)) throw new InvalidResourceError(apiId, "'UsagePlan' must be a dictionary");
  if (!up.keys().every((k) => KEYS.includes(k))) throw new InvalidResourceError(apiId, "Invalid property for 'UsagePlan'");
  const create = up.get('CreateUsagePlan');
  if (create === undefined || create === null) throw new InvalidResourceError(apiId, "'CreateUsagePlan' is a required field for UsagePlan.");
  if (!['SHARED', 'PER_API', 'NONE'].includes(str(create) ?? '')) throw new InvalidResourceError(apiId, "'CreateUsagePlan' accepts one of ['SHARED', 'PER_API', 'NONE'].");
  if (str(create) === 'NONE') return [];
  const stage: JsonObject = { ApiId: { Ref: apiId }, Stage: { Ref: stageId } };
  const stageKey: JsonObject = { RestApiId: { Ref: apiId }, StageName: { Ref: stageId } };
  let planId: string;
  let plan;
  let key;
  let planKey;
  const same = (a: JsonObject, b: JsonObject): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (str(create) === 'PER_API') {
    planId = `${apiId}UsagePlan`;
    plan = cfn('AWS::ApiGateway::UsagePlan', { ApiStages: [stage] }, { DependsOn: [apiId], ...attrs });
    key = { id: `${apiId}ApiKey`, resource: cfn('AWS::ApiGateway::ApiKey', { Enabled: true, StageKeys: [stageKey] }, { DependsOn: [planId], ...attrs }) };
    planKey = { id: `${apiId}UsagePlanKey`, resource: cfn('AWS::ApiGateway::UsagePlanKey', { KeyId: { Ref: key.id }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } }, { DependsOn: [key.id], ...attrs }) };
  } else {
    const s = shared(ctx);
    planId = 'ServerlessUsagePlan';
    if (!s.dependsOn.includes(apiId)) s.dependsOn.push(apiId);
    const pa = combinedAttrs(ctx, s, attrs);
    if (!s.apiStages.some((x) => same(x, stage))) s.apiStages.push(stage);
    plan = cfn('AWS::ApiGateway::UsagePlan', { ApiStages: s.apiStages }, { DependsOn: s.dependsOn, ...pa });
    const ka = combinedAttrs(ctx, s, attrs);
    if (!s.stageKeys.some((x) => same(x, stageKey))) s.stageKeys.push(stageKey);
    key = { id: 'ServerlessApiKey', resource: cfn('AWS::ApiGateway::ApiKey', { Enabled: true, StageKeys: s.stageKeys }, { DependsOn: [planId], ...ka }) };
    const kka = combinedAttrs(ctx, s, attrs);
    planKey = { id: 'ServerlessUsagePlanKey', resource: cfn('AWS::ApiGateway::UsagePlanKey', { KeyId: { Ref: key.id }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } }, { DependsOn: [key.id], ...kka }) };
  }
  for (const n of ['UsagePlanName', 'Description', 'Quota', 'Tags', 'Throttle']) if (truthy(up.get(n))) plan.Properties![n] = toJson(up.get(n)!) as Json;
  return [{ id: planId, resource: plan }, key, planKey];
}
