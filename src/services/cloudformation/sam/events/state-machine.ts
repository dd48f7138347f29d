// State machine events: Schedule, CloudWatchEvent/EventBridgeRule (each with a role allowed to start executions).
import { logicalId } from '../hash.js';
import { assumeRolePolicy, rolePolicies } from '../iam.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { StateMachineTarget } from '../resources/state-machine.js';
import { cfn, getAtt, isObj, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { noIntrinsics, validateProps, type Spec } from '../validate.js';
import { dlqArnAndResources, prop, ruleState, targetId, validateDlqConfig } from './common.js';

type SmEvent = EventTranslator<StateMachineTarget>;

/** `<Event>Role`: events.amazonaws.com may start executions of the target. */
export function eventRole(ev: SamEvent, t: StateMachineTarget, principal: string, suffix = ''): Generated {
  const id = suffix === '' || /^[\p{L}\p{N}]+$/u.test(suffix) ? `${ev.logicalId}Role${suffix}` : logicalId(`${ev.logicalId}Role`, suffix);
  return {
    id,
    resource: cfn(
      'AWS::IAM::Role',
      { AssumeRolePolicyDocument: assumeRolePolicy(principal), Policies: [rolePolicies.startExecution(t.arn, id)], PermissionsBoundary: truthy(t.permissionsBoundary) ? t.permissionsBoundary : undefined },
      t.passthrough,
    ),
  };
}

const SCHEDULE_SPEC: Spec = {
  Schedule: { check: 'string', required: true }, Input: 'string', Enabled: 'bool', State: 'string', Name: 'string', Description: 'string',
  DeadLetterConfig: 'map', RetryPolicy: 'map', Target: noIntrinsics('map'), RoleArn: noIntrinsics('string'),
};

function targetOf(ev: SamEvent, t: StateMachineTarget, roleArn: Json, dlqArn: Json | undefined, keys: string[]): JsonObject {
  const tgt = prop(ev, 'Target');
  const target: JsonObject = { Arn: t.arn, Id: isObj(tgt) && 'Id' in tgt ? tgt['Id']! : targetId(ev.logicalId, 'StepFunctionsTarget'), RoleArn: roleArn };
  for (const k of keys) {
    if (k === 'DeadLetterConfig') {
      if (prop(ev, k) !== undefined) target[k] = { Arn: dlqArn ?? null };
    } else if (prop(ev, k) !== undefined) target[k] = ev.props[k]!;
  }
  return target;
}

export const smSchedule: SmEvent = {
  type: 'Schedule',
  check(ev) {
    validateProps(ev.logicalId, ev.type, ev.props, SCHEDULE_SPEC);
  },
  translate(ev, t) {
    validateProps(ev.logicalId, ev.type, ev.props, SCHEDULE_SPEC);
    const out: Generated[] = [];
    const state = ruleState(ev);
    const rule = cfn('AWS::Events::Rule', { ScheduleExpression: ev.props['Schedule'], State: state, Name: prop(ev, 'Name'), Description: prop(ev, 'Description') }, t.passthrough);
    out.push({ id: ev.logicalId, resource: rule });
    let roleArn: Json;
    const given = prop(ev, 'RoleArn');
    if (given === undefined) {
      const role = eventRole(ev, t, 'events.amazonaws.com');
      out.push(role);
      roleArn = getAtt(role.id, 'Arn');
    } else roleArn = given;
    const dlc = prop(ev, 'DeadLetterConfig') as JsonObject | undefined;
    let dlqArn: Json | undefined;
    if (dlc !== undefined) {
      validateDlqConfig(ev.logicalId, dlc);
      const d = dlqArnAndResources(ev.logicalId, dlc, getAtt(ev.logicalId, 'Arn'), t.passthrough);
      dlqArn = d.arn;
      out.push(...d.resources);
    }
    rule.Properties!['Targets'] = [targetOf(ev, t, roleArn, dlqArn, ['Input', 'DeadLetterConfig', 'RetryPolicy'])];
    return out;
  },
};

const CWE_SPEC: Spec = {
  EventBusName: 'string', RuleName: 'string', Pattern: 'map', Input: 'string', InputPath: 'string', DeadLetterConfig: 'map', RetryPolicy: 'map',
  State: 'string', Target: noIntrinsics('map'), InputTransformer: 'map',
};

function smCloudWatchEvent(type: string): SmEvent {
  return {
    type,
    check(ev) {
      validateProps(ev.logicalId, ev.type, ev.props, CWE_SPEC);
    },
    translate(ev, t) {
      validateProps(ev.logicalId, ev.type, ev.props, CWE_SPEC);
      const out: Generated[] = [];
      const state = prop(ev, 'State');
      const rule = cfn('AWS::Events::Rule', { EventBusName: prop(ev, 'EventBusName'), EventPattern: prop(ev, 'Pattern'), Name: prop(ev, 'RuleName'), State: truthy(state) ? state : undefined }, t.passthrough);
      out.push({ id: ev.logicalId, resource: rule });
      const role = eventRole(ev, t, 'events.amazonaws.com');
      out.push(role);
      const dlc = prop(ev, 'DeadLetterConfig') as JsonObject | undefined;
      let dlqArn: Json | undefined;
      if (dlc !== undefined) {
        validateDlqConfig(ev.logicalId, dlc);
        const d = dlqArnAndResources(ev.logicalId, dlc, getAtt(ev.logicalId, 'Arn'), t.passthrough);
        dlqArn = d.arn;
        out.push(...d.resources);
      }
      rule.Properties!['Targets'] = [targetOf(ev, t, getAtt(role.id, 'Arn'), dlqArn, ['Input', 'InputPath', 'DeadLetterConfig', 'RetryPolicy', 'InputTransformer'])];
      return out;
    },
  };
}
export const smCloudWatchEventSource = smCloudWatchEvent('CloudWatchEvent');
export const smEventBridgeRule = smCloudWatchEvent('EventBridgeRule');
export { ruleState };
