// EventInvokeConfig: AWS::Lambda::EventInvokeConfig with destinations; SQS/SNS destinations may be created here.
import { outConditions, type TransformContext } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { logicalId } from '../hash.js';
import { ifItems, rolePolicies } from '../iam.js';
import type { SamResource } from '../resource.js';
import { cfn, getAtt, isIf, isNoValue, isObj, ref, type Generated, type Json, type JsonObject } from '../types.js';

const TYPES = ['SQS', 'SNS', 'EventBridge', 'Lambda', 'S3Bucket'];
const pyList = (xs: string[]): string => `[${xs.map((x) => `'${x}'`).join(', ')}]`;

function conditionName(name: string, hashInput: string): string {
  const n = name + logicalId('', hashInput);
  return n.length > 255 ? n.slice(0, 255) : n;
}

function policyFor(type: Json | undefined, id: string, arn: Json): JsonObject | undefined {
  switch (type) {
    case 'SQS':
      return rolePolicies.sqsSend(arn, id);
    case 'SNS':
      return rolePolicies.snsPublish(arn, id);
    case 'EventBridge':
      return rolePolicies.eventBus(arn, id);
    case 'Lambda':
      return rolePolicies.lambdaInvoke(arn, id);
    case 'S3Bucket':
      return rolePolicies.s3Put(arn, id);
    default:
      return undefined;
  }
}

export function eventInvokeConfig(r: SamResource, ctx: TransformContext, aliasName: string, aliasId: string | undefined): { generated: Generated[]; policies: JsonObject[] } {
  const config = ctx.resolver.resolveParameterRefs(structuredClone(r.get('EventInvokeConfig')!)) as JsonObject;
  const original = r.get('EventInvokeConfig') as JsonObject;
  const id = `${r.id}EventInvokeConfig`;
  const generated: Generated[] = [];
  const policies: JsonObject[] = [];
  const dest: JsonObject = {};
  const input = config['DestinationConfig'];
  if (input !== undefined && input !== null && !(isObj(input) && Object.keys(input).length === 0)) {
    if (!isObj(input)) throw new InvalidResourceError(r.id, "Property 'EventInvokeConfig.DestinationConfig' should be a map.");
    for (const name of ['OnSuccess', 'OnFailure']) {
      const c = input[name];
      if (c === undefined || c === null) continue;
      if (!isObj(c)) throw new InvalidResourceError(r.id, `Property 'EventInvokeConfig.DestinationConfig.${name}' should be a map.`);
      const res = destination(r, ctx, c, name, id);
      dest[name] = { Destination: res.destination };
      const od = (original['DestinationConfig'] as JsonObject | undefined)?.[name];
      if (isObj(od)) od['Destination'] = res.destination;
      if (res.resource) generated.push(res.resource);
      if (res.policy) policies.push(res.policy);
    }
  }
  const attrs: JsonObject = { ...r.attrs };
  if (aliasId) attrs['DependsOn'] = [aliasId];
  generated.push({
    id,
    resource: cfn(
      'AWS::Lambda::EventInvokeConfig',
      {
        FunctionName: ref(r.id),
        Qualifier: aliasName || '$LATEST',
        DestinationConfig: dest,
        MaximumEventAgeInSeconds: config['MaximumEventAgeInSeconds'] ?? undefined,
        MaximumRetryAttempts: config['MaximumRetryAttempts'] ?? undefined,
      },
      attrs,
    ),
  });
  return { generated, policies };
}

function destination(r: SamResource, ctx: TransformContext, c: JsonObject, event: string, id: string): { resource?: Generated; destination: Json; policy?: JsonObject } {
  const type = c['Type'];
  const resourceId = id + event;
  if (typeof type !== 'string' || !TYPES.includes(type)) throw new InvalidResourceError(r.id, `'Type: ${type === undefined || type === null ? 'None' : String(type)}' must be one of ${pyList(TYPES)}`);
  let dest: Json = c['Destination'] ?? null;
  let propCondition: Json | undefined;
  let destArn: Json | undefined;
  const given = c['Destination'];
  if (given !== undefined && given !== null && isIf(given)) {
    let items: [Json, Json, Json];
    try {
      items = ifItems(given['Fn::If']);
    } catch (e) {
      throw new InvalidResourceError(id, `Malformed 'Destination' property: ${(e as Error).message}.`);
    }
    if (isNoValue(items[1]) && !isNoValue(items[2])) {
      propCondition = items[0];
      destArn = items[2];
    } else if (isNoValue(items[2]) && !isNoValue(items[1])) {
      const not = conditionName(`NOT${String(items[0])}`, id);
      outConditions(ctx)[not] = { 'Fn::Not': [{ Condition: items[0] }] };
      propCondition = not;
      destArn = items[1];
    }
  }
  let resource: Generated | undefined;
  let policy: JsonObject | undefined;
  if (given === undefined || given === null || propCondition !== undefined) {
    const resCond = r.attrs['Condition'];
    let combined: Json | undefined = propCondition;
    if (resCond !== undefined && propCondition !== undefined) {
      const name = conditionName(`${String(resCond)}AND${String(propCondition)}`, r.id);
      // make_and_condition wraps each operand in {Condition: …} again; the reference emits it that way.
      outConditions(ctx)[name] = { 'Fn::And': [{ Condition: { Condition: resCond } }, { Condition: { Condition: propCondition } }] };
      combined = name;
    } else if (resCond !== undefined) combined = resCond;
    if (type === 'SQS' || type === 'SNS') {
      const rid = resourceId + (type === 'SQS' ? 'Queue' : 'Topic');
      const attrs = r.passthrough();
      if (combined !== undefined) attrs['Condition'] = combined;
      resource = { id: rid, resource: cfn(type === 'SQS' ? 'AWS::SQS::Queue' : 'AWS::SNS::Topic', {}, attrs) };
      const arn = type === 'SQS' ? getAtt(rid, 'Arn') : ref(rid);
      dest = propCondition !== undefined ? { 'Fn::If': [propCondition, arn, destArn ?? null] } : arn;
      policy = policyFor(type, resourceId, dest);
    } else {
      throw new InvalidResourceError(r.id, "Destination is required if Type is not ['SQS', 'SNS']");
    }
  }
  if (given !== undefined && given !== null && propCondition === undefined) policy = policyFor(type, resourceId, given);
  return { resource, destination: dest, policy };
}
