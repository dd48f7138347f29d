// ScheduleV2 (EventBridge Scheduler) events, for functions and state machines alike.
import { InvalidEventError } from '../errors.js';
import { logicalId } from '../hash.js';
import { assumeRolePolicy, rolePolicies } from '../iam.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import { cfn, getAtt, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { noIntrinsics, validateProps, type Spec } from '../validate.js';
import { prop, validateDlqConfig } from './common.js';

const SPEC: Spec = {
  PermissionsBoundary: 'string', ScheduleExpression: { check: 'string', required: true }, FlexibleTimeWindow: 'map', Name: 'string', State: 'string',
  Description: 'string', StartDate: 'string', EndDate: 'string', ScheduleExpressionTimezone: 'string', GroupName: 'string', KmsKeyArn: 'string',
  Input: 'string', RoleArn: 'string', DeadLetterConfig: 'map', RetryPolicy: 'map', OmitName: noIntrinsics('bool'),
};

export interface ScheduleTarget {
  arn: Json;
  passthrough: JsonObject;
}

export function scheduleV2<T extends ScheduleTarget>(targetKind: 'function' | 'stateMachine'): EventTranslator<T> {
  return {
    type: 'ScheduleV2',
    check(ev: SamEvent) {
      validateProps(ev.logicalId, ev.type, ev.props, SPEC);
    },
    translate(ev: SamEvent, t: T): Generated[] {
      validateProps(ev.logicalId, ev.type, ev.props, SPEC);
      const attrs = t.passthrough;
      const s: Record<string, Json | undefined> = { ScheduleExpression: ev.props['ScheduleExpression'] };
      if (truthy(prop(ev, 'State'))) s['State'] = ev.props['State'];
      if (prop(ev, 'OmitName')) {
        if (truthy(prop(ev, 'Name'))) throw new InvalidEventError(ev.logicalId, 'Name cannot be set when OmitName is True');
      } else s['Name'] = truthy(prop(ev, 'Name')) ? ev.props['Name'] : ev.logicalId;
      s['Description'] = prop(ev, 'Description');
      s['FlexibleTimeWindow'] = truthy(prop(ev, 'FlexibleTimeWindow')) ? ev.props['FlexibleTimeWindow'] : { Mode: 'OFF' };
      for (const k of ['StartDate', 'EndDate', 'ScheduleExpressionTimezone', 'GroupName', 'KmsKeyArn']) s[k] = prop(ev, k);
      const schedule = cfn('AWS::Scheduler::Schedule', s, attrs);
      const out: Generated[] = [{ id: ev.logicalId, resource: schedule }];
      const dlc = prop(ev, 'DeadLetterConfig') as JsonObject | undefined;
      let dlqArn: Json | undefined;
      if (dlc !== undefined) {
        validateDlqConfig(ev.logicalId, dlc);
        if (dlc['Arn'] !== undefined && dlc['Arn'] !== null) dlqArn = dlc['Arn'];
        else {
          const qid = dlc['QueueLogicalId'];
          if (qid !== undefined && qid !== null && typeof qid !== 'string') throw new InvalidEventError(ev.logicalId, 'QueueLogicalId must be a string');
          const queueId = (qid as string | undefined) || `${ev.logicalId}Queue`;
          out.push({ id: queueId, resource: cfn('AWS::SQS::Queue', {}, attrs) });
          dlqArn = getAtt(queueId, 'Arn');
        }
      }
      let roleArn: Json | undefined = prop(ev, 'RoleArn');
      if (!truthy(roleArn)) {
        const rid = logicalId(`${ev.logicalId}Role`);
        const policies: JsonObject[] = [targetKind === 'function' ? rolePolicies.lambdaInvoke(t.arn, ev.logicalId) : rolePolicies.startExecution(t.arn, ev.logicalId)];
        if (truthy(dlqArn)) policies.push(rolePolicies.sqsSend(dlqArn!, ev.logicalId));
        const pb = prop(ev, 'PermissionsBoundary');
        out.push({ id: rid, resource: cfn('AWS::IAM::Role', { AssumeRolePolicyDocument: assumeRolePolicy('scheduler.amazonaws.com'), Policies: policies, PermissionsBoundary: truthy(pb) ? pb : undefined }, attrs) });
        roleArn = getAtt(rid, 'Arn');
      }
      const target: JsonObject = { Arn: t.arn, RoleArn: roleArn! };
      if (prop(ev, 'Input') !== undefined) target['Input'] = ev.props['Input']!;
      if (dlc !== undefined) target['DeadLetterConfig'] = { Arn: dlqArn ?? null };
      if (prop(ev, 'RetryPolicy') !== undefined) target['RetryPolicy'] = ev.props['RetryPolicy']!;
      schedule.Properties!['Target'] = target;
      return out;
    },
  };
}
