// Tags on generated resources: SAM's own `lambda:createdBy` tag first, reserved keys refused, PropagateTags.
import { InvalidResourceError } from './errors.js';
import { isObj, tagList, truthy, type Generated, type Json, type JsonObject } from './types.js';

const SAM_KEY = 'lambda:createdBy';
const RESERVED = [SAM_KEY, 'serverlessrepo:applicationId', 'serverlessrepo:semanticVersion'];

/** `[{lambda:createdBy: SAM}, …additional, …tags]`, refusing the reserved keys as the reference does. */
export function samTagList(ownerId: string, tags: Json | undefined, additional: JsonObject = {}): JsonObject[] {
  const t = isObj(tags) ? tags : {};
  for (const k of RESERVED) {
    if (k in t) throw new InvalidResourceError(ownerId, `${k} is a reserved Tag key name and cannot be set on your resource. Please change the tag key in the input.`);
  }
  return [{ Key: SAM_KEY, Value: 'SAM' }, ...tagList(additional), ...tagList(t)];
}

/** Generated types whose Tags are a Key/Value list and which PropagateTags retags (samtranslator's `Tags` models). */
export const LIST_TAG_TYPES = new Set([
  'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::IoT::TopicRule', 'AWS::S3::Bucket',
  'AWS::DynamoDB::Table', 'AWS::CodeDeploy::Application', 'AWS::CodeDeploy::DeploymentGroup', 'AWS::CloudFormation::Stack',
  'AWS::StepFunctions::StateMachine', 'AWS::ApiGateway::RestApi', 'AWS::ApiGateway::Stage', 'AWS::ApiGateway::DomainName',
  'AWS::ApiGateway::DomainNameV2', 'AWS::ApiGateway::UsagePlan', 'AWS::ApiGateway::ApiKey', 'AWS::ApiGateway::DomainNameAccessAssociation',
  'AWS::Lambda::CapacityProvider', 'AWS::AppSync::GraphQLApi',
]);
/** Generated types whose Tags are a map (API Gateway v2); the HTTP API itself keeps its tags in the body. */
export const MAP_TAG_TYPES = new Set(['AWS::ApiGatewayV2::Stage', 'AWS::ApiGatewayV2::DomainName']);

/** PropagateTags: the owner's Tags replace the tags of every generated resource that has a Tags property. */
export function propagateTags(generated: Generated[], tags: Json | undefined, propagate: Json | undefined): void {
  if (!truthy(propagate) || !isObj(tags) || Object.keys(tags).length === 0) return;
  for (const g of generated) {
    const type = g.resource.Type;
    const props = (g.resource.Properties ??= {});
    if (MAP_TAG_TYPES.has(type)) props['Tags'] = { ...tags };
    else if (LIST_TAG_TYPES.has(type)) props['Tags'] = tagList(tags);
  }
}
