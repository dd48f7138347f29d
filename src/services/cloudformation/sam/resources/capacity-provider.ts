// AWS::Serverless::CapacityProvider → AWS::Lambda::CapacityProvider (Lambda managed instances) and its operator role.
import { managedArn } from '../context.js';
import { InvalidResourceError } from '../errors.js';
import { assumeRolePolicy } from '../iam.js';
import type { ResourceTranslator } from '../registry.js';
import { cfn, getAtt, isObj, tagList, truthy, type Generated, type Json, type JsonObject } from '../types.js';
import { noIntrinsics, oneOf, validateProps, type Spec } from '../validate.js';

const SPEC: Spec = {
  CapacityProviderName: noIntrinsics(oneOf('string', 'map')), VpcConfig: noIntrinsics('map', true), OperatorRole: noIntrinsics(oneOf('string', 'map')),
  Tags: noIntrinsics('map'), PropagateTags: noIntrinsics('bool'), InstanceRequirements: noIntrinsics('map'), ScalingConfig: noIntrinsics('map'),
  KmsKeyArn: noIntrinsics(oneOf('string', 'map')),
};

type Field = ['list' | 'int' | 'number', boolean];
/** The nested models of samtranslator's schema: field → (type, required); SamIntrinsicable means "a map or …". */
const MODELS: Record<string, Record<string, Field>> = {
  VpcConfig: { SecurityGroupIds: ['list', false], SubnetIds: ['list', true] },
  InstanceRequirements: { Architectures: ['list', false], AllowedTypes: ['list', false], ExcludedTypes: ['list', false] },
  ScalingConfig: { MaxVCpuCount: ['int', false], AverageCPUUtilization: ['number', false] },
};
const WORD = { list: 'list', int: 'integer', number: 'number' };

/** The schema check with every error collected, phrased as samtranslator's pydantic error formatter. */
function schemaErrors(props: JsonObject): string[] {
  const out: string[] = [];
  for (const [model, fields] of Object.entries(MODELS)) {
    const v = props[model];
    if (!isObj(v)) continue;
    for (const [name, [type, required]] of Object.entries(fields)) {
      const x = v[name];
      const path = `${model}.${name}`;
      if (x === undefined || x === null) {
        if (required) out.push(`Property '${path}' is required.`);
        continue;
      }
      const ok = isObj(x) || (type === 'list' ? Array.isArray(x) : type === 'int' ? Number.isInteger(x) : typeof x === 'number');
      if (!ok) out.push(`Property '${path}' value must be dictionary or ${WORD[type]}.`);
    }
    for (const k of Object.keys(v)) if (!(k in fields)) out.push(`Property '${model}.${k}' is an invalid property.`);
  }
  return out;
}

export const capacityProviderTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::CapacityProvider',
  phase: 'other',
  translate(r, ctx) {
    validateProps(r.id, r.type, r.props, SPEC);
    const errs = schemaErrors(r.props);
    if (errs.length) throw new InvalidResourceError(r.id, errs.join(' '));
    const ir = r.get('InstanceRequirements');
    if (isObj(ir) && ir['AllowedTypes'] != null && ir['ExcludedTypes'] != null) {
      throw new InvalidResourceError(r.id, "Cannot specify 'InstanceRequirements.AllowedTypes' and 'InstanceRequirements.ExcludedTypes' together.");
    }
    const out: Generated[] = [];
    const samTag = (extra: JsonObject = {}): JsonObject[] => tagList({ ...extra, 'lambda:createdBy': 'SAM' });
    let operator = r.get('OperatorRole');
    if (!truthy(operator)) {
      const id = `${r.id}OperatorRole`;
      out.push({ id, resource: cfn('AWS::IAM::Role', { AssumeRolePolicyDocument: assumeRolePolicy('lambda.amazonaws.com'), ManagedPolicyArns: [managedArn(ctx, 'AWSLambdaManagedEC2ResourceOperator')], Tags: samTag() }, r.passthrough()) });
      operator = getAtt(id, 'Arn');
    }
    const vpc = r.get('VpcConfig') as JsonObject;
    const vpcOut: JsonObject = { SubnetIds: vpc['SubnetIds']! };
    if (vpc['SecurityGroupIds'] != null) vpcOut['SecurityGroupIds'] = vpc['SecurityGroupIds'];
    let instance: JsonObject | undefined;
    if (isObj(ir) && truthy(ir)) {
      instance = {};
      if (ir['Architectures'] != null) instance['Architectures'] = ir['Architectures'];
      if (ir['AllowedTypes'] != null) instance['AllowedInstanceTypes'] = ir['AllowedTypes'];
      if (ir['ExcludedTypes'] != null) instance['ExcludedInstanceTypes'] = ir['ExcludedTypes'];
    }
    const sc = r.get('ScalingConfig');
    let scaling: JsonObject | undefined;
    if (isObj(sc) && truthy(sc)) {
      scaling = {};
      if (sc['MaxVCpuCount'] != null) scaling['MaxVCpuCount'] = sc['MaxVCpuCount'];
      if (sc['AverageCPUUtilization'] != null) {
        scaling['ScalingMode'] = 'Manual';
        scaling['ScalingPolicies'] = [{ PredefinedMetricType: 'LambdaCapacityProviderAverageCPUUtilization', TargetValue: sc['AverageCPUUtilization'] }];
      } else scaling['ScalingMode'] = 'Auto';
    }
    const tags = r.get('Tags');
    const provider = cfn(
      'AWS::Lambda::CapacityProvider',
      {
        CapacityProviderName: truthy(r.get('CapacityProviderName')) ? r.get('CapacityProviderName') : undefined,
        VpcConfig: vpcOut,
        PermissionsConfig: truthy(operator) ? { CapacityProviderOperatorRoleArn: operator! } : undefined,
        Tags: samTag(isObj(tags) ? tags : {}),
        InstanceRequirements: instance,
        CapacityProviderScalingConfig: scaling,
        KmsKeyArn: truthy(r.get('KmsKeyArn')) ? r.get('KmsKeyArn') : undefined,
      },
      { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs },
    );
    out.push({ id: r.id, resource: provider });
    // PropagateTags here combines with the generated tags (propagate_tags_combine), keeping SAM's own tag.
    if (r.get('PropagateTags') === true && isObj(tags) && Object.keys(tags).length) {
      for (const g of out) {
        const cur = g.resource.Properties!['Tags'];
        const merged = new Map<string, Json>();
        for (const t of [...(Array.isArray(cur) ? (cur as JsonObject[]) : []), ...tagList(tags)]) merged.set(String(t['Key']), t['Value']!);
        g.resource.Properties!['Tags'] = [...merged].map(([Key, Value]) => ({ Key, Value }));
      }
    }
    return out;
  },
};

