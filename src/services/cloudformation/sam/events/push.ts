// Function push events: Schedule, CloudWatchEvent/EventBridgeRule, S3, SNS, AlexaSkill, IoTRule, Cognito, CloudWatchLogs.
import { type TransformContext, samResources } from '../context.js';
import { InvalidEventError, InvalidResourceError } from '../errors.js';
import type { EventTranslator, SamEvent } from '../registry.js';
import type { FunctionTarget } from '../resources/function.js';
import { cfn, getAtt, isObj, ref, sub, tagList, type Generated, type Json, type JsonObject } from '../types.js';
import { dictOf, listOf, oneOf, validateProps, type Spec } from '../validate.js';
import { dlqArnAndResources, permission, prop, ruleState, targetId, validateDlqConfig } from './common.js';
import { sqsMapping } from './pull.js';

type FnEvent = EventTranslator<FunctionTarget>;
const check = (ev: SamEvent, spec: Spec): void => validateProps(ev.logicalId, ev.type, ev.props, spec);

const SCHEDULE_SPEC: Spec = {
  Schedule: { check: 'string', required: true }, RuleName: 'string', Input: 'string', Enabled: 'bool', State: 'string', Name: 'string',
  Description: 'string', DeadLetterConfig: 'map', RetryPolicy: 'map',
};

export const schedule: FnEvent = {
  type: 'Schedule',
  check(ev) {
    check(ev, SCHEDULE_SPEC);
  },
  translate(ev, t) {
    check(ev, SCHEDULE_SPEC);
    const out: Generated[] = [];
    const state = ruleState(ev);
    const ruleArn = getAtt(ev.logicalId, 'Arn');
    const dlc = prop(ev, 'DeadLetterConfig') as JsonObject | undefined;
    const rule: JsonObject = { ScheduleExpression: ev.props['Schedule']!, State: state, Name: prop(ev, 'Name'), Description: prop(ev, 'Description') } as JsonObject;
    const gRule = { id: ev.logicalId, resource: cfn('AWS::Events::Rule', rule, t.passthrough) };
    out.push(gRule);
    let dlqArn: Json | undefined;
    if (dlc !== undefined) {
      validateDlqConfig(ev.logicalId, dlc);
      const d = dlqArnAndResources(ev.logicalId, dlc, ruleArn, t.passthrough);
      dlqArn = d.arn;
      out.push(...d.resources);
    }
    const target: JsonObject = { Arn: t.arn, Id: targetId(ev.logicalId, 'LambdaTarget') };
    if (prop(ev, 'Input') !== undefined) target['Input'] = ev.props['Input']!;
    if (dlc !== undefined) target['DeadLetterConfig'] = { Arn: dlqArn ?? null };
    if (prop(ev, 'RetryPolicy') !== undefined) target['RetryPolicy'] = ev.props['RetryPolicy']!;
    gRule.resource.Properties!['Targets'] = [target];
    out.push(permission(ev, t, 'events.amazonaws.com', { sourceArn: ruleArn }));
    return out;
  },
};

const CWE_SPEC: Spec = {
  EventBusName: 'string', RuleName: 'string', Pattern: 'map', DeadLetterConfig: 'map', RetryPolicy: 'map', Input: 'string', InputPath: 'string',
  Target: 'map', Enabled: 'bool', State: 'string', InputTransformer: 'map',
};

function cloudWatchEvent(type: string): FnEvent {
  return {
    type,
    check(ev) {
      check(ev, CWE_SPEC);
    },
    translate(ev, t) {
      check(ev, CWE_SPEC);
      const out: Generated[] = [];
      const ruleArn = getAtt(ev.logicalId, 'Arn');
      const dlc = prop(ev, 'DeadLetterConfig') as JsonObject | undefined;
      let dlqArn: Json | undefined;
      if (dlc !== undefined) {
        validateDlqConfig(ev.logicalId, dlc);
        const d = dlqArnAndResources(ev.logicalId, dlc, ruleArn, t.passthrough);
        dlqArn = d.arn;
        out.push(...d.resources);
      }
      const state = ruleState(ev);
      const tgt = prop(ev, 'Target');
      const target: JsonObject = { Arn: t.arn, Id: isObj(tgt) && 'Id' in tgt ? tgt['Id']! : targetId(ev.logicalId, 'LambdaTarget') };
      for (const k of ['Input', 'InputPath']) if (prop(ev, k) !== undefined) target[k] = ev.props[k]!;
      if (dlc !== undefined) target['DeadLetterConfig'] = { Arn: dlqArn ?? null };
      for (const k of ['RetryPolicy', 'InputTransformer']) if (prop(ev, k) !== undefined) target[k] = ev.props[k]!;
      const rule = cfn('AWS::Events::Rule', { EventBusName: prop(ev, 'EventBusName'), EventPattern: prop(ev, 'Pattern'), Name: prop(ev, 'RuleName'), State: state, Targets: [target] }, t.passthrough);
      out.push({ id: ev.logicalId, resource: rule });
      out.push(permission(ev, t, 'events.amazonaws.com', { sourceArn: ruleArn }));
      return out;
    },
  };
}
export const cloudWatchEventSource = cloudWatchEvent('CloudWatchEvent');
export const eventBridgeRule = cloudWatchEvent('EventBridgeRule');

const S3_SPEC: Spec = { Bucket: { check: 'string', required: true }, Events: { check: oneOf('string', listOf('string')), required: true, intrinsics: false }, Filter: dictOf('string') };

/** The S3 bucket must be in the template: the event edits its NotificationConfiguration and DependsOn. */
function linkedResource(ctx: TransformContext, ev: SamEvent, name: string, notFound: string, notString: string, notStringId: string): [string, JsonObject] {
  const v = ev.props[name];
  if (isObj(v) && 'Ref' in v) {
    const id = v['Ref'];
    if (typeof id !== 'string') throw new InvalidEventError(notStringId, notString);
    const res = ctx.out['Resources'] as JsonObject;
    const r = res[id];
    if (isObj(r)) return [id, r];
  }
  throw new InvalidEventError(ev.relativeId, notFound);
}

export const s3: FnEvent = {
  type: 'S3',
  check(ev, ctx) {
    check(ev, S3_SPEC);
    linkedResource(ctx, ev, 'Bucket', 'S3 events must reference an S3 bucket in the same template.', "'Ref' value in S3 events is not a valid string.", ev.relativeId);
  },
  translate(ev, t, ctx) {
    const [bucketId, bucket] = linkedResource(ctx, ev, 'Bucket', 'S3 events must reference an S3 bucket in the same template.', "'Ref' value in S3 events is not a valid string.", ev.relativeId);
    const perm = permission(ev, t, 's3.amazonaws.com', { sourceAccount: ref('AWS::AccountId') });
    if ('Condition' in perm.resource) {
      const props = (bucket['Properties'] ??= {}) as JsonObject;
      const tags = (props['Tags'] ??= []);
      if (!Array.isArray(tags)) throw new InvalidResourceError(bucketId, "Property 'Tags' should be a list.");
      props['Tags'] = [...tags, ...tagList({ [`sam:ConditionalDependsOn:${perm.id}`]: { 'Fn::If': [perm.resource.Condition!, ref(perm.id), 'no dependency'] } })];
    } else {
      let deps = 'DependsOn' in bucket ? bucket['DependsOn']! : [];
      if (typeof deps === 'string') deps = [deps];
      if (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean' || d === null)) {
        // set(x) in the reference: None, numbers and maps are not iterable of hashables.
        throw new InvalidResourceError(ev.logicalId, "Invalid type for field 'DependsOn'. Expected a string or list of strings.");
      }
      const set = [...new Set(deps as string[])];
      if (!set.includes(perm.id)) set.push(perm.id);
      bucket['DependsOn'] = set;
    }
    const base: JsonObject = { Function: t.arn };
    if (prop(ev, 'Filter') !== undefined) base['Filter'] = ev.props['Filter']!;
    const events = ev.props['Events']!;
    const mappings = (typeof events === 'string' ? [events] : (events as Json[])).map((e) => {
      const m: JsonObject = { ...structuredClone(base), Event: e };
      return 'Condition' in t.fn ? { 'Fn::If': [t.fn.Condition!, m, ref('AWS::NoValue')] } : m;
    });
    const props = bucket['Properties'] ?? {};
    if (!isObj(props)) throw new InvalidResourceError(bucketId, 'Properties should be a map.');
    bucket['Properties'] = props;
    const nc = (props['NotificationConfiguration'] ??= {});
    if (!isObj(nc)) throw new InvalidResourceError(bucketId, "Property 'NotificationConfiguration' should be a map.");
    const lc = (nc['LambdaConfigurations'] ??= []);
    if (!Array.isArray(lc)) throw new InvalidResourceError(bucketId, 'Invalid type for LambdaConfigurations. Must be a list.');
    for (const m of mappings) if (!lc.some((x) => JSON.stringify(x) === JSON.stringify(m))) lc.push(m);
    const b = bucket as unknown as Generated['resource'];
    return [perm, { id: bucketId, resource: b }];
  },
};

const SNS_SPEC: Spec = { Topic: { check: 'string', required: true }, Region: 'string', FilterPolicy: 'any', FilterPolicyScope: 'any', SqsSubscription: oneOf('bool', 'map'), RedrivePolicy: 'map' };

function subscription(ev: SamEvent, t: FunctionTarget, protocol: string, endpoint: Json): Generated {
  const p: Record<string, Json | undefined> = { Protocol: protocol, Endpoint: endpoint, TopicArn: ev.props['Topic'] };
  for (const k of ['Region', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy']) if (prop(ev, k) !== undefined) p[k] = ev.props[k];
  return { id: ev.logicalId, resource: cfn('AWS::SNS::Subscription', p, t.passthrough) };
}

function queuePolicy(id: string, topic: Json, queueArn: Json, queueUrl: Json, attrs: JsonObject): Generated {
  return {
    id,
    resource: cfn(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: { Version: '2012-10-17', Statement: [{ Action: 'sqs:SendMessage', Effect: 'Allow', Principal: '*', Resource: queueArn, Condition: { ArnEquals: { 'aws:SourceArn': topic } } }] },
        Queues: [queueUrl],
      },
      attrs,
    ),
  };
}

export const sns: FnEvent = {
  type: 'SNS',
  check(ev) {
    check(ev, SNS_SPEC);
  },
  translate(ev, t, ctx) {
    check(ev, SNS_SPEC);
    const topic = ev.props['Topic']!;
    const sqsSub = prop(ev, 'SqsSubscription');
    if (!sqsSub) return [permission(ev, t, 'sns.amazonaws.com', { sourceArn: topic }), subscription(ev, t, 'lambda', t.arn)];
    if (sqsSub === true) {
      const topicId = isObj(topic) && typeof topic['Ref'] === 'string' ? topic['Ref'] : isObj(topic) && Array.isArray(topic['Fn::GetAtt']) ? (topic['Fn::GetAtt'][0] as string) : undefined;
      const tr = topicId ? samResources(ctx)[topicId] : undefined;
      const tp = isObj(tr) && isObj(tr['Properties']) ? tr['Properties'] : {};
      const fifo = ctx.resolver.resolveParameterRefs(structuredClone(tp['FifoTopic'] ?? false));
      const qid = `${ev.logicalId}Queue`;
      const queue = cfn('AWS::SQS::Queue', { FifoQueue: fifo ? fifo : undefined }, t.passthrough);
      const arn = getAtt(qid, 'Arn');
      const out = sqsMapping(ctx, `${ev.logicalId}EventSourceMapping`, t, arn, 10, true);
      out.push({ id: qid, resource: queue }, queuePolicy(`${ev.logicalId}QueuePolicy`, topic, arn, ref(qid), t.passthrough), subscription(ev, t, 'sqs', arn));
      return out;
    }
    if (!isObj(sqsSub)) throw new InvalidEventError(ev.relativeId, "Property 'SqsSubscription' should be a map.");
    const arn = sqsSub['QueueArn'];
    const url = sqsSub['QueueUrl'];
    if (!arn || !url) throw new InvalidEventError(ev.relativeId, 'No QueueARN or QueueURL provided.');
    const policyId = (sqsSub['QueuePolicyLogicalId'] as string | undefined) || `${ev.logicalId}QueuePolicy`;
    const out = sqsMapping(ctx, `${ev.logicalId}EventSourceMapping`, t, arn, sqsSub['BatchSize'] || 10, true);
    out.push(queuePolicy(policyId, topic, arn, url, t.passthrough), subscription(ev, t, 'sqs', arn));
    return out;
  },
};

export const alexaSkill: FnEvent = {
  type: 'AlexaSkill',
  check(ev) {
    check(ev, { SkillId: 'string' });
  },
  translate(ev, t) {
    check(ev, { SkillId: 'string' });
    return [permission(ev, t, 'alexa-appkit.amazon.com', { eventSourceToken: prop(ev, 'SkillId') })];
  },
};

export const iotRule: FnEvent = {
  type: 'IoTRule',
  check(ev) {
    check(ev, { Sql: { check: 'string', required: true }, AwsIotSqlVersion: 'string' });
  },
  translate(ev, t, ctx) {
    check(ev, { Sql: { check: 'string', required: true }, AwsIotSqlVersion: 'string' });
    const sourceArn = sub(`arn:${ctx.partition}:iot:\${AWS::Region}:\${AWS::AccountId}:rule/\${RuleName}`, { RuleName: ref(ev.logicalId) });
    const payload: JsonObject = { Sql: ev.props['Sql']!, RuleDisabled: false, Actions: [{ Lambda: { FunctionArn: t.arn } }] };
    const v = prop(ev, 'AwsIotSqlVersion');
    if (v) payload['AwsIotSqlVersion'] = v;
    return [
      permission(ev, t, 'iot.amazonaws.com', { sourceArn, sourceAccount: sub('${AWS::AccountId}') }),
      { id: ev.logicalId, resource: cfn('AWS::IoT::TopicRule', { TopicRulePayload: payload }, t.passthrough) },
    ];
  },
};

const COGNITO_SPEC: Spec = { UserPool: { check: 'string', required: true }, Trigger: { check: oneOf('string', listOf('string')), required: true, intrinsics: false } };

export const cognito: FnEvent = {
  type: 'Cognito',
  check(ev, ctx) {
    check(ev, COGNITO_SPEC);
    linkedResource(ctx, ev, 'UserPool', 'Cognito events must reference a Cognito UserPool in the same template.', 'Ref in Userpool is not a string.', ev.logicalId);
  },
  translate(ev, t, ctx) {
    const [poolId, pool] = linkedResource(ctx, ev, 'UserPool', 'Cognito events must reference a Cognito UserPool in the same template.', 'Ref in Userpool is not a string.', ev.logicalId);
    const perm = permission(ev, t, 'cognito-idp.amazonaws.com', { sourceArn: getAtt(poolId, 'Arn'), prefix: `${t.functionId}Cognito` });
    const trig = ev.props['Trigger']!;
    const triggers = typeof trig === 'string' ? [trig] : (trig as Json[]);
    const props = (pool['Properties'] ??= {}) as JsonObject;
    const lc = (props['LambdaConfig'] ??= {});
    if (!isObj(lc)) throw new InvalidResourceError(poolId, "Property 'LambdaConfig' should be a map.");
    for (const tr of triggers) {
      const key = String(tr);
      if (key in lc) throw new InvalidEventError(ev.relativeId, `Cognito trigger "${typeof trig === 'string' ? trig : `[${triggers.map((x) => `'${String(x)}'`).join(', ')}]`}" defined multiple times.`);
      lc[key] = t.arn;
    }
    return [perm, { id: poolId, resource: pool as unknown as Generated['resource'] }];
  },
};

export const cloudWatchLogs: FnEvent = {
  type: 'CloudWatchLogs',
  check(ev) {
    check(ev, { LogGroupName: { check: 'string', required: true }, FilterPattern: { check: 'string', required: true } });
  },
  translate(ev, t, ctx) {
    check(ev, { LogGroupName: { check: 'string', required: true }, FilterPattern: { check: 'string', required: true } });
    const sourceArn = sub(`arn:${ctx.partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:\${__LogGroupName__}:*`, { __LogGroupName__: ev.props['LogGroupName']! });
    const perm = permission(ev, t, 'logs.amazonaws.com', { sourceArn });
    const filter = cfn(
      'AWS::Logs::SubscriptionFilter',
      { LogGroupName: ev.props['LogGroupName'], FilterPattern: ev.props['FilterPattern'], DestinationArn: t.arn },
      { DependsOn: [perm.id], ...t.passthrough },
    );
    return [perm, { id: ev.logicalId, resource: filter }];
  },
};
