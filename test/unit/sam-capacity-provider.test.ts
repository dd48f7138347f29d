// Unit: the SAM transform's AWS::Serverless::CapacityProvider (operator role, scaling, tags, collected schema errors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, transformSam, type JsonObject } from '../../src/services/cloudformation/index.js';

const resources = (yaml: string): Record<string, JsonObject> =>
  transformSam(parseTemplate(yaml, 't.yaml'), { region: 'us-east-1' })['Resources'] as Record<string, JsonObject>;
const props = (r: JsonObject | undefined): JsonObject => (r?.['Properties'] ?? {}) as JsonObject;
const cp = (body: string): string => `
Resources:
  Cp:
    Type: AWS::Serverless::CapacityProvider
    Properties:
${body}
`;

test('CapacityProvider: without OperatorRole an operator role is generated and named in PermissionsConfig', () => {
  const rs = resources(cp('      VpcConfig: {SubnetIds: [subnet-1]}'));
  assert.deepEqual(props(rs['CpOperatorRole'])['ManagedPolicyArns'], ['arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator']);
  assert.deepEqual(props(rs['Cp'])['PermissionsConfig'], { CapacityProviderOperatorRoleArn: { 'Fn::GetAtt': ['CpOperatorRole', 'Arn'] } });
  assert.deepEqual(props(rs['Cp'])['Tags'], [{ Key: 'lambda:createdBy', Value: 'SAM' }]);
  const own = resources(cp('      VpcConfig: {SubnetIds: [subnet-1]}\n      OperatorRole: arn:role'));
  assert.equal(own['CpOperatorRole'], undefined);
});

test('CapacityProvider: scaling is Manual with a CPU target, Auto without; instance types are renamed', () => {
  const rs = resources(cp('      VpcConfig: {SubnetIds: [s]}\n      ScalingConfig: {MaxVCpuCount: 8, AverageCPUUtilization: 60}\n      InstanceRequirements: {AllowedTypes: [c5.large]}'));
  assert.deepEqual(props(rs['Cp'])['CapacityProviderScalingConfig'], {
    MaxVCpuCount: 8, ScalingMode: 'Manual', ScalingPolicies: [{ PredefinedMetricType: 'LambdaCapacityProviderAverageCPUUtilization', TargetValue: 60 }],
  });
  assert.deepEqual(props(rs['Cp'])['InstanceRequirements'], { AllowedInstanceTypes: ['c5.large'] });
  const auto = resources(cp('      VpcConfig: {SubnetIds: [s]}\n      ScalingConfig: {MaxVCpuCount: 8}'));
  assert.equal((props(auto['Cp'])['CapacityProviderScalingConfig'] as JsonObject)['ScalingMode'], 'Auto');
});

test('CapacityProvider: PropagateTags adds the owner tags to the operator role after its SAM tag', () => {
  const rs = resources(cp('      VpcConfig: {SubnetIds: [s]}\n      Tags: {team: a}\n      PropagateTags: true'));
  assert.deepEqual(props(rs['CpOperatorRole'])['Tags'], [{ Key: 'lambda:createdBy', Value: 'SAM' }, { Key: 'team', Value: 'a' }]);
});

test('CapacityProvider: schema errors are all reported, types of a union consolidated', () => {
  const msg = (body: string): string => {
    try {
      resources(cp(body));
    } catch (e) {
      return (e as Error).message.replace(/^.*?Resource with id \[Cp\] is invalid\. /, '');
    }
    return 'accepted';
  };
  assert.equal(
    msg('      VpcConfig: {SubnetIds: s, Extra: 1}\n      ScalingConfig: {MaxVCpuCount: many}'),
    "Property 'VpcConfig.SubnetIds' value must be dictionary or list. Property 'VpcConfig.Extra' is an invalid property. Property 'ScalingConfig.MaxVCpuCount' value must be dictionary or integer.",
  );
  assert.equal(msg('      VpcConfig: {SecurityGroupIds: [g]}'), "Property 'VpcConfig.SubnetIds' is required.");
  assert.equal(msg('      Tags: {a: b}'), "Missing required property 'VpcConfig'.");
  assert.equal(
    msg('      VpcConfig: {SubnetIds: [s]}\n      InstanceRequirements: {AllowedTypes: [a], ExcludedTypes: [b]}'),
    "Cannot specify 'InstanceRequirements.AllowedTypes' and 'InstanceRequirements.ExcludedTypes' together.",
  );
});
