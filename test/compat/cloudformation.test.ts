// CloudFormation with the real SDK and CLI: SAM apps deployed as stacks (SQS-triggered function with a DLQ,
// state machine calling a function, parameters/conditions/outputs/exports), updates, rollback, delete, capabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  ListExportsCommand,
  ListStackResourcesCommand,
  UpdateStackCommand,
  GetTemplateCommand,
  waitUntilStackCreateComplete,
  waitUntilStackDeleteComplete,
  waitUntilStackUpdateComplete,
  waitUntilChangeSetCreateComplete,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { InvokeCommand, GetAliasCommand, GetFunctionConfigurationCommand, GetFunctionEventInvokeConfigCommand, GetFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { GetTopicAttributesCommand, SNSClient } from '@aws-sdk/client-sns';
import { DescribeStreamSummaryCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient, StartExecutionCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { lambdaClient } from '../helpers/lambda.js';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const cfn = (): CloudFormationClient => new CloudFormationClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
const waiter = { minDelay: 1, maxDelay: 1, maxWaitTime: 60 };

async function stack(name: string): Promise<Stack> {
  return (await cfn().send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
}

const outputs = (s: Stack): Record<string, string> => Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));

const SQS_APP = (reply: string): string => `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 2
  Results:
    Type: AWS::SQS::Queue
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json, os, boto3
        def handler(event, context):
            sqs = boto3.client('sqs', endpoint_url=os.environ.get('AWS_ENDPOINT_URL'))
            for r in event.get('Records', []):
                sqs.send_message(QueueUrl=os.environ['RESULTS'], MessageBody='${reply}:' + r['body'])
            return {'reply': '${reply}', 'stage': os.environ['STAGE']}
      Environment:
        Variables:
          RESULTS: !Ref Results
          STAGE: !If [IsProd, production, development]
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Work.Arn
            BatchSize: 1
Outputs:
  WorkQueueUrl:
    Value: !Ref Work
  ResultsUrl:
    Value: !Ref Results
  FunctionName:
    Value: !Ref Worker
    Export:
      Name: !Sub '\${AWS::StackName}-fn'
`;

test('CloudFormation: a SAM app (SQS-triggered function with a DLQ) deploys through a change set, its trigger runs the function, outputs and exports are served', async () => {
  const c = cfn();
  const created = await c.send(new CreateChangeSetCommand({ StackName: 'sqs-app', ChangeSetName: 'initial', ChangeSetType: 'CREATE', TemplateBody: SQS_APP('v1'), Capabilities: ['CAPABILITY_IAM'] }));
  assert.match(created.StackId!, /^arn:aws:cloudformation:us-east-1:000000000000:stack\/sqs-app\/[0-9a-f-]{36}$/);
  assert.equal((await stack('sqs-app')).StackStatus, 'REVIEW_IN_PROGRESS');
  await waitUntilChangeSetCreateComplete({ client: c, ...waiter }, { StackName: 'sqs-app', ChangeSetName: 'initial' });
  const cs = await c.send(new DescribeChangeSetCommand({ StackName: 'sqs-app', ChangeSetName: 'initial' }));
  const adds = cs.Changes!.map((x) => `${x.ResourceChange!.Action} ${x.ResourceChange!.LogicalResourceId} ${x.ResourceChange!.ResourceType}`).sort();
  assert.deepEqual(adds, [
    'Add Dlq AWS::SQS::Queue',
    'Add Results AWS::SQS::Queue',
    'Add Work AWS::SQS::Queue',
    'Add Worker AWS::Lambda::Function',
    'Add WorkerFromQueue AWS::Lambda::EventSourceMapping',
    'Add WorkerRole AWS::IAM::Role',
  ]);
  await c.send(new ExecuteChangeSetCommand({ StackName: 'sqs-app', ChangeSetName: 'initial' }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'sqs-app' });
  const s = await stack('sqs-app');
  assert.equal(s.StackStatus, 'CREATE_COMPLETE');
  const out = outputs(s);
  assert.match(out['WorkQueueUrl']!, /\/000000000000\/sqs-app-Work-/);
  const events = (await c.send(new DescribeStackEventsCommand({ StackName: 'sqs-app' }))).StackEvents!;
  const worker = events.filter((e) => e.LogicalResourceId === 'Worker').map((e) => `${e.ResourceStatus}${e.ResourceStatusReason ? ` ${e.ResourceStatusReason}` : ''}`).reverse();
  assert.deepEqual(worker, ['CREATE_IN_PROGRESS', 'CREATE_IN_PROGRESS Resource creation Initiated', 'CREATE_COMPLETE']);
  assert.equal(events[0]!.ResourceStatus, 'CREATE_COMPLETE');
  assert.equal(events[0]!.LogicalResourceId, 'sqs-app');
  const exports = (await c.send(new ListExportsCommand({}))).Exports!;
  assert.deepEqual(exports.filter((e) => e.Name === 'sqs-app-fn').map((e) => e.Value), [out['FunctionName']]);

  // The trigger: a message on the work queue reaches the function, which writes to the results queue.
  const sqs = new SQSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  await sqs.send(new SendMessageCommand({ QueueUrl: out['WorkQueueUrl'], MessageBody: 'hello' }));
  let body: string | undefined;
  for (let i = 0; i < 20 && !body; i++) body = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: out['ResultsUrl'], WaitTimeSeconds: 1 }))).Messages?.[0]?.Body;
  assert.equal(body, 'v1:hello');
  const lambda = lambdaClient(server().url);
  const inv = await lambda.send(new InvokeCommand({ FunctionName: out['FunctionName'], Payload: Buffer.from('{}') }));
  assert.deepEqual(JSON.parse(Buffer.from(inv.Payload!).toString()), { reply: 'v1', stage: 'development' });

  // Update: code and a parameter change the function in place (same name).
  await c.send(new UpdateStackCommand({ StackName: 'sqs-app', TemplateBody: SQS_APP('v2'), Parameters: [{ ParameterKey: 'Stage', ParameterValue: 'prod' }], Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackUpdateComplete({ client: c, ...waiter }, { StackName: 'sqs-app' });
  const after = await stack('sqs-app');
  assert.equal(after.StackStatus, 'UPDATE_COMPLETE');
  assert.equal(outputs(after)['FunctionName'], out['FunctionName']);
  const inv2 = await lambda.send(new InvokeCommand({ FunctionName: out['FunctionName'], Payload: Buffer.from('{}') }));
  assert.deepEqual(JSON.parse(Buffer.from(inv2.Payload!).toString()), { reply: 'v2', stage: 'production' });
  await assert.rejects(
    c.send(new UpdateStackCommand({ StackName: 'sqs-app', TemplateBody: SQS_APP('v2'), Parameters: [{ ParameterKey: 'Stage', UsePreviousValue: true }], Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] })),
    (e: Error) => e.name === 'ValidationError' && e.message === 'No updates are to be performed.',
  );
  const processed = await c.send(new GetTemplateCommand({ StackName: 'sqs-app', TemplateStage: 'Processed' }));
  assert.equal(JSON.parse(processed.TemplateBody!).Resources.Worker.Type, 'AWS::Lambda::Function');

  await c.send(new DeleteStackCommand({ StackName: 'sqs-app' }));
  await waitUntilStackDeleteComplete({ client: c, ...waiter }, { StackName: 'sqs-app' });
  await assert.rejects(lambda.send(new GetFunctionConfigurationCommand({ FunctionName: out['FunctionName'] })), (e: Error) => e.name === 'ResourceNotFoundException');
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: out['WorkQueueUrl']!.split('/').pop()! })), (e: Error) => /NonExistentQueue|QueueDoesNotExist/.test(e.name));
  await assert.rejects(stack('sqs-app'), (e: Error) => e.name === 'ValidationError' && e.message === 'Stack with id sqs-app does not exist');
});

test('CloudFormation: CreateStack refuses IAM resources without CAPABILITY_IAM and a SAM template without CAPABILITY_AUTO_EXPAND, in AWS words', async () => {
  const c = cfn();
  const iam = JSON.stringify({ Resources: { R: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } } } });
  await assert.rejects(c.send(new CreateStackCommand({ StackName: 'caps', TemplateBody: iam })), (e: Error) => e.name === 'InsufficientCapabilitiesException' && e.message === 'Requires capabilities : [CAPABILITY_IAM]');
  await assert.rejects(c.send(new CreateStackCommand({ StackName: 'caps', TemplateBody: SQS_APP('x'), Capabilities: ['CAPABILITY_IAM'] })), (e: Error) => e.name === 'InsufficientCapabilitiesException' && e.message === 'Requires capabilities : [CAPABILITY_AUTO_EXPAND]');
});

test('CloudFormation: a resource that fails rolls the stack back (ROLLBACK_COMPLETE) naming the resource and the reason; what it had created is deleted', async () => {
  const c = cfn();
  const t = JSON.stringify({
    Resources: {
      Good: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'rollback-good' } },
      Bad: { Type: 'AWS::SQS::Queue', DependsOn: 'Good', Properties: { QueueName: 'rollback-bad', VisibilityTimeout: 999999 } },
    },
  });
  await c.send(new CreateStackCommand({ StackName: 'fails', TemplateBody: t }));
  await assert.rejects(waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'fails' }));
  const s = await stack('fails');
  assert.equal(s.StackStatus, 'ROLLBACK_COMPLETE');
  const events = (await c.send(new DescribeStackEventsCommand({ StackName: 'fails' }))).StackEvents!;
  const failed = events.find((e) => e.ResourceStatus === 'CREATE_FAILED')!;
  assert.equal(failed.LogicalResourceId, 'Bad');
  assert.match(failed.ResourceStatusReason!, /VisibilityTimeout/);
  assert.ok(events.some((e) => e.LogicalResourceId === 'Good' && e.ResourceStatus === 'DELETE_COMPLETE'));
  const sqs = new SQSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'rollback-good' })));
  assert.deepEqual((await c.send(new ListStackResourcesCommand({ StackName: 'fails' }))).StackResourceSummaries, []);
});

test('CloudFormation: a state machine calling a function; a property needing replacement makes a new queue; a removed resource goes; imports read another stack\'s export', async () => {
  const c = cfn();
  const base = (queueName: string, withTopic: boolean): string =>
    JSON.stringify({
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] } } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'python3.12', Handler: 'index.handler', Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, Code: { ZipFile: 'def handler(e, c):\n    return {"doubled": e["n"] * 2}\n' } } },
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: { RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, DefinitionString: { 'Fn::Sub': '{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"${Fn.Arn}","End":true}}}' } },
        },
        Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: queueName } },
        ...(withTopic ? { T: { Type: 'AWS::SNS::Topic' } } : {}),
      },
      Outputs: { Machine: { Value: { Ref: 'Machine' } }, Queue: { Value: { Ref: 'Q' }, Export: { Name: 'shared-queue' } } },
    });
  await c.send(new CreateStackCommand({ StackName: 'machine', TemplateBody: base('q-one', true), Capabilities: ['CAPABILITY_IAM'] }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'machine' });
  const out = outputs(await stack('machine'));
  const sfn = new SFNClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  const ex = await sfn.send(new StartExecutionCommand({ stateMachineArn: out['Machine'], input: '{"n": 21}' }));
  let d;
  for (let i = 0; i < 50; i++) {
    d = await sfn.send(new DescribeExecutionCommand({ executionArn: ex.executionArn }));
    if (d.status !== 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(d!.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(d!.output!), { doubled: 42 });

  const importer = JSON.stringify({ Resources: { P: { Type: 'AWS::SQS::QueuePolicy', Properties: { Queues: [{ 'Fn::ImportValue': 'shared-queue' }], PolicyDocument: { Version: '2012-10-17', Statement: [] } } } }, Outputs: { Imported: { Value: { 'Fn::ImportValue': 'shared-queue' } } } });
  await c.send(new CreateStackCommand({ StackName: 'importer', TemplateBody: importer }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'importer' });
  assert.equal(outputs(await stack('importer'))['Imported'], out['Queue']);

  const cs = await c.send(new CreateChangeSetCommand({ StackName: 'machine', ChangeSetName: 'rename', TemplateBody: base('q-two', false), Capabilities: ['CAPABILITY_IAM'] }));
  await waitUntilChangeSetCreateComplete({ client: c, ...waiter }, { ChangeSetName: cs.Id! });
  const changes = (await c.send(new DescribeChangeSetCommand({ ChangeSetName: cs.Id! }))).Changes!.map((x) => `${x.ResourceChange!.Action} ${x.ResourceChange!.LogicalResourceId} ${x.ResourceChange!.Replacement ?? ''}`.trim());
  assert.deepEqual(changes.sort(), ['Modify Q True', 'Remove T']);
  await c.send(new ExecuteChangeSetCommand({ ChangeSetName: cs.Id! }));
  await waitUntilStackUpdateComplete({ client: c, ...waiter }, { StackName: 'machine' });
  const after = outputs(await stack('machine'));
  assert.match(after['Queue']!, /\/q-two$/);
  const sqs = new SQSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'q-one' })));
  const types = (await c.send(new ListStackResourcesCommand({ StackName: 'machine' }))).StackResourceSummaries!.map((r) => r.LogicalResourceId).sort();
  assert.deepEqual(types, ['Fn', 'Machine', 'Q', 'Role']);
});

const ALIAS_APP = (reply: string): string => `
Transform: AWS::Serverless-2016-10-31
Resources:
  Alerts:
    Type: AWS::SNS::Topic
  AlertsPolicy:
    Type: AWS::SNS::TopicPolicy
    Properties:
      Topics: [!Ref Alerts]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: FromEvents
            Effect: Allow
            Principal: { Service: events.amazonaws.com }
            Action: sns:Publish
            Resource: !Ref Alerts
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      InlineCode: "exports.handler = async () => ({ statusCode: 200, body: '${reply}' });"
      AutoPublishAlias: live
      FunctionUrlConfig:
        AuthType: NONE
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        MaximumEventAgeInSeconds: 120
Outputs:
  FunctionName:
    Value: !Ref Api
`;

test('CloudFormation: AutoPublishAlias publishes a version and points the alias at it (again on a code update), with a function URL, an async invoke config and a topic policy', async () => {
  const c = cfn();
  const lambda = lambdaClient(server().url);
  await c.send(new CreateStackCommand({ StackName: 'alias-app', TemplateBody: ALIAS_APP('one'), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'alias-app' });
  const fn = outputs(await stack('alias-app'))['FunctionName']!;
  const alias = await lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' }));
  assert.equal(alias.FunctionVersion, '1');
  const call = async (): Promise<string> => Buffer.from((await lambda.send(new InvokeCommand({ FunctionName: fn, Qualifier: 'live' }))).Payload!).toString();
  assert.match(await call(), /"body":"one"/);
  const url = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: fn, Qualifier: 'live' }));
  assert.equal(url.AuthType, 'NONE');
  const eic = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: fn, Qualifier: 'live' }));
  assert.equal(eic.MaximumRetryAttempts, 0);
  assert.equal(eic.MaximumEventAgeInSeconds, 120);
  const sns = new SNSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  const topics = (await c.send(new ListStackResourcesCommand({ StackName: 'alias-app' }))).StackResourceSummaries!.filter((r) => r.ResourceType === 'AWS::SNS::Topic');
  const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: topics[0]!.PhysicalResourceId! }));
  assert.match(attrs.Attributes!['Policy']!, /FromEvents/);

  await c.send(new UpdateStackCommand({ StackName: 'alias-app', TemplateBody: ALIAS_APP('two'), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackUpdateComplete({ client: c, ...waiter }, { StackName: 'alias-app' });
  assert.equal((await lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' }))).FunctionVersion, '2');
  assert.match(await call(), /"body":"two"/);
  await c.send(new DeleteStackCommand({ StackName: 'alias-app' }));
  await waitUntilStackDeleteComplete({ client: c, ...waiter }, { StackName: 'alias-app' });
  await assert.rejects(lambda.send(new GetAliasCommand({ FunctionName: fn, Name: 'live' })), /ResourceNotFound/);
});

const STREAM_APP = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Clicks:
    Type: AWS::Kinesis::Stream
    Properties:
      ShardCount: 2
      RetentionPeriodHours: 48
  Seen:
    Type: AWS::SQS::Queue
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import base64, os, boto3
        def handler(event, context):
            sqs = boto3.client('sqs', endpoint_url=os.environ.get('AWS_ENDPOINT_URL'))
            for r in event['Records']:
                sqs.send_message(QueueUrl=os.environ['SEEN'], MessageBody=base64.b64decode(r['kinesis']['data']).decode())
      Environment:
        Variables:
          SEEN: !Ref Seen
      Events:
        FromStream:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Clicks.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 10
Outputs:
  StreamName:
    Value: !Ref Clicks
  StreamArn:
    Value: !GetAtt Clicks.Arn
  SeenUrl:
    Value: !Ref Seen
`;

test('CloudFormation: a Kinesis stream (Ref is its name, GetAtt Arn) feeding a function through a SAM Kinesis event; the stream goes with the stack', async () => {
  const c = cfn();
  await c.send(new CreateStackCommand({ StackName: 'stream-app', TemplateBody: STREAM_APP, Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'stream-app' });
  const out = outputs(await stack('stream-app'));
  assert.match(out['StreamArn']!, new RegExp(`^arn:aws:kinesis:us-east-1:\\d{12}:stream/${out['StreamName']}$`));
  const kin = new KinesisClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  const summary = (await kin.send(new DescribeStreamSummaryCommand({ StreamName: out['StreamName'] }))).StreamDescriptionSummary!;
  assert.equal(summary.OpenShardCount, 2);
  assert.equal(summary.RetentionPeriodHours, 48);
  await kin.send(new PutRecordCommand({ StreamName: out['StreamName'], PartitionKey: 'p', Data: Buffer.from('click-1') }));
  const sqs = new SQSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  let body: string | undefined;
  for (let i = 0; i < 30 && !body; i++) body = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: out['SeenUrl'], WaitTimeSeconds: 1 }))).Messages?.[0]?.Body;
  assert.equal(body, 'click-1');
  await c.send(new DeleteStackCommand({ StackName: 'stream-app' }));
  await waitUntilStackDeleteComplete({ client: c, ...waiter }, { StackName: 'stream-app' });
  await assert.rejects(kin.send(new DescribeStreamSummaryCommand({ StreamName: out['StreamName'] })), /ResourceNotFound/);
  kin.destroy();
});

const TABLE_APP = (ttl: boolean): string => `
Transform: AWS::Serverless-2016-10-31
Resources:
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey: { Name: id, Type: String }
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: pk, AttributeType: S }]
      KeySchema: [{ AttributeName: pk, KeyType: HASH }]
      StreamSpecification: { StreamViewType: NEW_IMAGE }${ttl ? '\n      TimeToLiveSpecification: { AttributeName: expires, Enabled: true }' : ''}
  Copier:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import os, boto3
        def handler(event, context):
            ddb = boto3.client('dynamodb', endpoint_url=os.environ.get('AWS_ENDPOINT_URL'))
            for r in event['Records']:
                if r['eventName'] == 'INSERT':
                    ddb.put_item(TableName=os.environ['SIMPLE'], Item={'id': r['dynamodb']['NewImage']['pk']})
      Environment:
        Variables:
          SIMPLE: !Ref Simple
      Events:
        FromOrders:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: TRIM_HORIZON
Outputs:
  Simple:
    Value: !Ref Simple
  Orders:
    Value: !Ref Orders
  OrdersArn:
    Value: !GetAtt Orders.Arn
`;

test('CloudFormation: a SimpleTable and a DynamoDB table whose stream (GetAtt StreamArn) feeds a function; an update turns TTL on in place; the tables go with the stack', async () => {
  const c = cfn();
  await c.send(new CreateStackCommand({ StackName: 'table-app', TemplateBody: TABLE_APP(false), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackCreateComplete({ client: c, ...waiter }, { StackName: 'table-app' });
  const out = outputs(await stack('table-app'));
  assert.match(out['OrdersArn']!, new RegExp(`^arn:aws:dynamodb:us-east-1:\\d{12}:table/${out['Orders']}$`));
  const ddb = new DynamoDBClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  const simple = (await ddb.send(new DescribeTableCommand({ TableName: out['Simple'] }))).Table!;
  assert.deepEqual(simple.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
  assert.equal(simple.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
  await ddb.send(new PutItemCommand({ TableName: out['Orders'], Item: { pk: { S: 'order-1' } } }));
  let copied: unknown;
  for (let i = 0; i < 60 && !copied; i++) {
    copied = (await ddb.send(new GetItemCommand({ TableName: out['Simple'], Key: { id: { S: 'order-1' } } }))).Item;
    if (!copied) await new Promise((r) => setTimeout(r, 250));
  }
  assert.deepEqual(copied, { id: { S: 'order-1' } });
  await c.send(new UpdateStackCommand({ StackName: 'table-app', TemplateBody: TABLE_APP(true), Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'] }));
  await waitUntilStackUpdateComplete({ client: c, ...waiter }, { StackName: 'table-app' });
  assert.equal((await ddb.send(new DescribeTimeToLiveCommand({ TableName: out['Orders'] }))).TimeToLiveDescription?.TimeToLiveStatus, 'ENABLED');
  assert.equal(outputs(await stack('table-app'))['Orders'], out['Orders'], 'updated in place, not replaced');
  await c.send(new DeleteStackCommand({ StackName: 'table-app' }));
  await waitUntilStackDeleteComplete({ client: c, ...waiter }, { StackName: 'table-app' });
  await assert.rejects(ddb.send(new DescribeTableCommand({ TableName: out['Orders'] })), /ResourceNotFound/);
  ddb.destroy();
});
