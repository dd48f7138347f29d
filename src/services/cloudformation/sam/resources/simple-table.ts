// AWS::Serverless::SimpleTable → AWS::DynamoDB::Table with a one-attribute hash key.
import { InvalidResourceError } from '../errors.js';
import type { ResourceTranslator } from '../registry.js';
import { cfn, isObj, tagList, truthy, type JsonObject } from '../types.js';
import { dictOf, oneOf, validateProps, type Spec } from '../validate.js';

const SPEC: Spec = {
  PointInTimeRecoverySpecification: 'any', PrimaryKey: dictOf('string'), ProvisionedThroughput: dictOf(oneOf('int', 'map')), TableName: oneOf('string', 'map'),
  Tags: 'map', SSESpecification: 'map',
};
const TYPES: Record<string, string> = { String: 'S', Number: 'N', Binary: 'B' };

export const simpleTableTranslator: ResourceTranslator = {
  type: 'AWS::Serverless::SimpleTable',
  phase: 'other',
  translate(r) {
    validateProps(r.id, r.type, r.props, SPEC);
    let key: JsonObject = { AttributeName: 'id', AttributeType: 'S' };
    const pk = r.get('PrimaryKey');
    if (truthy(pk) && isObj(pk)) {
      const name = pk['Name'];
      const type = pk['Type'];
      if (name === undefined || name === null) throw new InvalidResourceError(r.id, "Property 'PrimaryKey.Name' is required.");
      if (type === undefined || type === null) throw new InvalidResourceError(r.id, "Property 'PrimaryKey.Type' is required.");
      const t = typeof type === 'string' ? TYPES[type] : undefined;
      if (!t) throw new InvalidResourceError(r.id, `Invalid 'Type' "${String(type)}".`);
      key = { AttributeName: name, AttributeType: t };
    }
    const pt = r.get('ProvisionedThroughput');
    const tags = r.get('Tags');
    const table = cfn(
      'AWS::DynamoDB::Table',
      {
        AttributeDefinitions: [key],
        KeySchema: [{ AttributeName: key['AttributeName']!, KeyType: 'HASH' }],
        PointInTimeRecoverySpecification: truthy(r.get('PointInTimeRecoverySpecification')) ? r.get('PointInTimeRecoverySpecification') : undefined,
        ProvisionedThroughput: truthy(pt) ? pt : undefined,
        BillingMode: truthy(pt) ? undefined : 'PAY_PER_REQUEST',
        SSESpecification: truthy(r.get('SSESpecification')) ? r.get('SSESpecification') : undefined,
        TableName: truthy(r.get('TableName')) ? r.get('TableName') : undefined,
        Tags: truthy(tags) && isObj(tags) ? tagList(tags) : undefined,
      },
      { DependsOn: truthy(r.dependsOn) ? r.dependsOn : undefined, ...r.attrs },
    );
    return [{ id: r.id, resource: table }];
  },
};
