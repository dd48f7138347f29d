// The SAM transform's behaviour on small templates: roles, hashes, globals, events, errors in samtranslator's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { buildRegistry, InvalidDocumentError, sortedDocumentMessage, transformSam, type JsonObject } from '../../src/services/cloudformation/index.js';

const fn = (props: JsonObject = {}): JsonObject => ({ Type: 'AWS::Serverless::Function', Properties: { CodeUri: 's3://bucket/key.zip', Handler: 'index.handler', Runtime: 'nodejs20.x', ...props } });
const run = (resources: JsonObject, extra: JsonObject = {}): JsonObject => transformSam({ Transform: 'AWS::Serverless-2016-10-31', Resources: resources, ...extra }, { region: 'us-east-1' });
const res = (t: JsonObject): Record<string, JsonObject> => t['Resources'] as Record<string, JsonObject>;

test('Function: a minimal function gets a Lambda function and a role with the basic execution policy', () => {
  const out = run({ Fn: fn() });
  assert.equal(out['Transform'], undefined);
  const r = res(out);
  assert.equal(r['Fn']!['Type'], 'AWS::Lambda::Function');
  assert.deepEqual((r['Fn']!['Properties'] as JsonObject)['Code'], { S3Bucket: 'bucket', S3Key: 'key.zip' });
  assert.deepEqual((r['Fn']!['Properties'] as JsonObject)['Role'], { 'Fn::GetAtt': ['FnRole', 'Arn'] });
  assert.deepEqual((r['FnRole']!['Properties'] as JsonObject)['ManagedPolicyArns'], ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
});

test('Function: the partition follows the region (aws-cn) in generated managed policy ARNs', () => {
  const out = transformSam({ Resources: { Fn: fn({ Tracing: 'Active' }) } }, { region: 'cn-north-1' });
  const arns = (res(out)['FnRole']!['Properties'] as JsonObject)['ManagedPolicyArns'] as string[];
  assert.ok(arns.every((a) => a.startsWith('arn:aws-cn:')), arns.join());
  assert.ok(arns.some((a) => a.endsWith('/AWSXRayDaemonWriteAccess')));
});

test('AutoPublishAlias: the version id is the sha1 of the sorted-key JSON of the code, first 10 hex digits', () => {
  const r = res(run({ Fn: fn({ AutoPublishAlias: 'live' }) }));
  const digest = createHash('sha1').update('{"S3Bucket":"bucket","S3Key":"key.zip"}').digest('hex').slice(0, 10);
  assert.ok(r[`FnVersion${digest}`], Object.keys(r).join());
  assert.equal(r[`FnVersion${digest}`]!['DeletionPolicy'], 'Retain');
  assert.deepEqual((r['FnAliaslive']!['Properties'] as JsonObject)['FunctionVersion'], { 'Fn::GetAtt': [`FnVersion${digest}`, 'Version'] });
});

test('AutoPublishAlias: a changed parameter value changes the version id', () => {
  const tpl = (def: string): JsonObject => ({ Parameters: { K: { Type: 'String', Default: def } }, Resources: { Fn: fn({ CodeUri: { Bucket: 'b', Key: { Ref: 'K' } }, AutoPublishAlias: 'live' }) } });
  const ids = (t: JsonObject): string[] => Object.keys(res(transformSam(t, { region: 'us-east-1' }))).filter((k) => k.startsWith('FnVersion'));
  assert.notDeepEqual(ids(tpl('v1.zip')), ids(tpl('v2.zip')));
});

test('References to derived resources: !Ref Fn.Alias resolves to the generated alias', () => {
  const out = run({ Fn: fn({ AutoPublishAlias: 'live' }) }, { Outputs: { A: { Value: { Ref: 'Fn.Alias' } } } });
  assert.deepEqual((out['Outputs'] as JsonObject)['A'], { Value: { Ref: 'FnAliaslive' } });
});

test('Globals: maps merge, lists concatenate, scalars are overridden by the resource', () => {
  const out = run(
    { Fn: fn({ Runtime: 'python3.12', Environment: { Variables: { B: '2' } }, Layers: ['l2'] }) },
    { Globals: { Function: { Runtime: 'nodejs20.x', Timeout: 9, Environment: { Variables: { A: '1' } }, Layers: ['l1'] } } },
  );
  const p = res(out)['Fn']!['Properties'] as JsonObject;
  assert.equal(p['Runtime'], 'python3.12');
  assert.equal(p['Timeout'], 9);
  assert.deepEqual(p['Environment'], { Variables: { A: '1', B: '2' } });
  assert.deepEqual(p['Layers'], ['l1', 'l2']);
});

test('Globals: an unsupported property is refused with the supported list', () => {
  assert.throws(
    () => run({ Fn: fn() }, { Globals: { Function: { Role: 'x' } } }),
    (e: unknown) => e instanceof InvalidDocumentError && e.message.startsWith("Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. 'Role' is not a supported property of 'Function'."),
  );
});

test('Policies: a policy template becomes a statement with its parameters substituted', () => {
  const r = res(run({ Fn: fn({ Policies: [{ SQSPollerPolicy: { QueueName: 'q1' } }, 'AmazonS3ReadOnlyAccess'] }) }));
  const role = r['FnRole']!['Properties'] as JsonObject;
  assert.ok((role['ManagedPolicyArns'] as string[]).includes('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'));
  const doc = JSON.stringify((role['Policies'] as JsonObject[])[0]);
  assert.match(doc, /"PolicyName":"FnRolePolicy0"/);
  assert.match(doc, /sqs:ReceiveMessage/);
  assert.match(doc, /"queueName":"q1"/);
});

test('Policies: a template missing a parameter names it', () => {
  assert.throws(() => run({ Fn: fn({ Policies: [{ SQSPollerPolicy: {} }] }) }), /Resource with id \[Fn\] is invalid\. Following required parameters of template 'SQSPollerPolicy' don't have values: \['QueueName'\]/);
});

test('Events: an SQS event makes a mapping on the function and adds the poller policy to its role', () => {
  const r = res(run({ Fn: fn({ Events: { Q: { Type: 'SQS', Properties: { Queue: 'arn:aws:sqs:us-east-1:1:q', BatchSize: 5 } } } }) }));
  assert.deepEqual(r['FnQ']!['Properties'], { FunctionName: { Ref: 'Fn' }, EventSourceArn: 'arn:aws:sqs:us-east-1:1:q', BatchSize: 5 });
  assert.ok(((r['FnRole']!['Properties'] as JsonObject)['ManagedPolicyArns'] as string[]).includes('arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole'));
});

test('Events: a Schedule event makes a rule targeting the alias when there is one, and a permission', () => {
  const r = res(run({ Fn: fn({ AutoPublishAlias: 'live', Events: { Tick: { Type: 'Schedule', Properties: { Schedule: 'rate(1 minute)' } } } }) }));
  const rule = r['FnTick']!['Properties'] as JsonObject;
  assert.deepEqual(rule['Targets'], [{ Arn: { Ref: 'FnAliaslive' }, Id: 'FnTickLambdaTarget' }]);
  assert.deepEqual((r['FnTickPermission']!['Properties'] as JsonObject)['SourceArn'], { 'Fn::GetAtt': ['FnTick', 'Arn'] });
});

test('Events: an S3 event must name a bucket of the same template', () => {
  assert.throws(
    () => run({ Fn: fn({ Events: { Up: { Type: 'S3', Properties: { Bucket: 'elsewhere', Events: 's3:ObjectCreated:*' } } } }) }),
    (e: unknown) => e instanceof Error && e.message.endsWith('Resource with id [Fn] is invalid. Event with id [Up] is invalid. S3 events must reference an S3 bucket in the same template.'),
  );
});

test('Errors: every invalid resource is reported in the order found; the harness order sorts by logical id', () => {
  const a = "Resource with id [A] is invalid. 'CodeUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.";
  const b = 'Resource with id [B] is invalid. Runtime and Handler needs to be present when PackageType is of type `Zip`';
  const head = 'Invalid Serverless Application Specification document. Number of errors found: 2.';
  let caught: unknown;
  try {
    run({ B: fn({ Handler: null }), A: fn({ CodeUri: 'not-s3' }) });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof InvalidDocumentError);
  assert.equal(caught.message, `${head} ${b} ${a}`);
  assert.equal(sortedDocumentMessage(caught), `${head} ${a} ${b}`);
});

test('Errors: an unknown property names the property and the type', () => {
  assert.throws(() => run({ Fn: fn({ Bogus: 1 }) }), /Resource with id \[Fn\] is invalid\. property Bogus not defined for resource of type AWS::Serverless::Function/);
});

test('Errors: a SAM type this registry lacks is refused by name, not passed through', () => {
  const registry = buildRegistry();
  registry.resources.delete('AWS::Serverless::Api');
  assert.throws(
    () => transformSam({ Transform: 'AWS::Serverless-2016-10-31', Resources: { Api: { Type: 'AWS::Serverless::Api', Properties: { StageName: 'p' } } } }, { region: 'us-east-1' }, registry),
    /Resource with id \[Api\] is invalid\. AWS::Serverless::Api is not supported by this transform yet\./,
  );
});

test('DeploymentPreference: CodeDeploy application, service role and group, and the alias update policy', () => {
  const r = res(run({ Fn: fn({ AutoPublishAlias: 'live', DeploymentPreference: { Type: 'Linear10PercentEvery1Minute' } }) }));
  assert.equal(r['ServerlessDeploymentApplication']!['Type'], 'AWS::CodeDeploy::Application');
  assert.equal(r['CodeDeployServiceRole']!['Type'], 'AWS::IAM::Role');
  assert.deepEqual((r['FnDeploymentGroup']!['Properties'] as JsonObject)['DeploymentConfigName'], { 'Fn::Sub': ['CodeDeployDefault.Lambda${ConfigName}', { ConfigName: 'Linear10PercentEvery1Minute' }] });
  assert.deepEqual(r['FnAliaslive']!['UpdatePolicy'], { CodeDeployLambdaAliasUpdate: { ApplicationName: { Ref: 'ServerlessDeploymentApplication' }, DeploymentGroupName: { Ref: 'FnDeploymentGroup' } } });
});

test('StateMachine: intrinsics in an inline definition move into DefinitionSubstitutions', () => {
  const r = res(run({ SM: { Type: 'AWS::Serverless::StateMachine', Properties: { Definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: { 'Fn::GetAtt': ['Fn', 'Arn'] }, End: true } } } } } }));
  const p = r['SM']!['Properties'] as JsonObject;
  assert.deepEqual(p['DefinitionSubstitutions'], { definition_substitution_1: { 'Fn::GetAtt': ['Fn', 'Arn'] } });
  assert.match(JSON.stringify(p['DefinitionString']), /\$\{definition_substitution_1\}/);
});

test('LayerVersion: the layer gets a hashed logical id and references to it follow', () => {
  const out = run({ L: { Type: 'AWS::Serverless::LayerVersion', Properties: { ContentUri: 's3://b/l.zip' } }, Fn: fn({ Layers: [{ Ref: 'L' }] }) });
  const layerId = Object.keys(res(out)).find((k) => k.startsWith('L') && k !== 'L')!;
  assert.match(layerId, /^L[0-9a-f]{10}$/);
  assert.deepEqual((res(out)['Fn']!['Properties'] as JsonObject)['Layers'], [{ Ref: layerId }]);
});

test('Connector: function to queue write access becomes a managed policy on the function role', () => {
  const r = res(
    run({
      Q: { Type: 'AWS::SQS::Queue' },
      Fn: fn(),
      C: { Type: 'AWS::Serverless::Connector', Properties: { Source: { Id: 'Fn' }, Destination: { Id: 'Q' }, Permissions: ['Write'] } },
    }),
  );
  const p = r['CPolicy']!['Properties'] as JsonObject;
  assert.equal(r['CPolicy']!['Type'], 'AWS::IAM::ManagedPolicy');
  assert.deepEqual(p['Roles'], [{ Ref: 'FnRole' }]);
  assert.match(JSON.stringify(p['PolicyDocument']), /sqs:SendMessage/);
});

test('Application: a SAR location is refused clearly without a resolver; a template URL passes', () => {
  assert.throws(() => run({ App: { Type: 'AWS::Serverless::Application', Properties: { Location: { ApplicationId: 'arn:aws:serverlessrepo:us-east-1:1:applications/x', SemanticVersion: '1.0.0' } } } }), /Cannot resolve Serverless Application Repository application/);
  const r = res(run({ App: { Type: 'AWS::Serverless::Application', Properties: { Location: 'https://s3.amazonaws.com/b/t.yaml' } } }));
  assert.equal((r['App']!['Properties'] as JsonObject)['TemplateURL'], 'https://s3.amazonaws.com/b/t.yaml');
});

test('passthroughMetadata: generated resources carry the SAM resource\'s Metadata', () => {
  const out = transformSam({ Resources: { Fn: { ...fn(), Metadata: { Owner: 'me' } } } }, { region: 'us-east-1', passthroughMetadata: true });
  assert.deepEqual(res(out)['FnRole']!['Metadata'], { Owner: 'me' });
  const plain = transformSam({ Resources: { Fn: { ...fn(), Metadata: { Owner: 'me' } } } }, { region: 'us-east-1' });
  assert.equal(res(plain)['FnRole']!['Metadata'], undefined);
});

test('transformSam is pure: the input template is not modified', () => {
  const input: JsonObject = { Globals: { Function: { Timeout: 3 } }, Resources: { Fn: fn({ Policies: [{ SQSPollerPolicy: { QueueName: 'q' } }] }) } };
  const before = JSON.stringify(input);
  transformSam(input, { region: 'us-east-1' });
  assert.equal(JSON.stringify(input), before);
});
