// `selfless deploy` (a SAM app with a local CodeUri folder, S3-triggered) and the AWS CLI's `cloudformation deploy`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { liveServer, MAIN } from '../helpers/server.js';

const run = promisify(execFile);
const server = liveServer();
const env = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1' };
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

test('selfless deploy: packages a local CodeUri folder, deploys an S3-triggered function, prints events and outputs; an upload fires it; a failing resource exits 1 with its reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-deploy-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'app.py'), "import os, boto3\ndef handler(event, context):\n    key = event['Records'][0]['s3']['object']['key']\n    boto3.client('sqs', endpoint_url=os.environ.get('AWS_ENDPOINT_URL')).send_message(QueueUrl=os.environ['OUT'], MessageBody='got ' + key)\n");
  writeFileSync(
    join(dir, 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: cfn-deploy-uploads
  Out:
    Type: AWS::SQS::Queue
  OnUpload:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          OUT: !Ref Out
      Events:
        Put:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
Outputs:
  OutUrl:
    Value: !Ref Out
`,
  );
  const r = await run('node', [MAIN, 'deploy', '--stack-name', 'uploads', '--endpoint', server().url], { cwd: dir, env });
  assert.match(r.stdout, /CREATE_COMPLETE\s+AWS::Lambda::Function\s+OnUpload/);
  const url = /OutUrl = (\S+)/.exec(r.stdout)![1]!;
  const s3 = new S3Client({ endpoint: server().url, region: 'us-east-1', credentials: creds, forcePathStyle: true });
  await s3.send(new PutObjectCommand({ Bucket: 'cfn-deploy-uploads', Key: 'photo.jpg', Body: 'x' }));
  const sqs = new SQSClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
  let body: string | undefined;
  for (let i = 0; i < 20 && !body; i++) body = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }))).Messages?.[0]?.Body;
  assert.equal(body, 'got photo.jpg');
  const list = await run('node', [MAIN, 'stacks', '--endpoint', server().url], { env });
  assert.match(list.stdout, /uploads\s+CREATE_COMPLETE/);

  writeFileSync(join(dir, 'bad.yaml'), 'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      DelaySeconds: 9999\n');
  const bad = await run('node', [MAIN, 'deploy', '--stack-name', 'bad', '--template-file', 'bad.yaml', '--endpoint', server().url], { cwd: dir, env }).then(
    () => assert.fail('deploy succeeded'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /ROLLBACK_COMPLETE: Q: .*DelaySeconds/);
  const del = await run('node', [MAIN, 'delete', '--stack-name', 'bad', '--endpoint', server().url], { env });
  assert.match(del.stdout, /Deleted stack bad/);
});

test('aws cloudformation deploy (CLI v1): change set, waiters, outputs; a second deploy without changes says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-cli-'));
  writeFileSync(join(dir, 't.yaml'), 'Parameters:\n  N:\n    Type: String\nResources:\n  T:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref N\nOutputs:\n  Arn:\n    Value: !Ref T\n');
  const args = ['--endpoint-url', server().url, 'cloudformation', 'deploy', '--template-file', join(dir, 't.yaml'), '--stack-name', 'cli-stack', '--parameter-overrides', 'N=cli-topic'];
  const r = await run('aws', args, { env });
  assert.match(r.stdout, /Successfully created\/updated stack - cli-stack/);
  const again = await run('aws', args, { env }).catch((e: { stdout: string; stderr: string }) => e);
  assert.match(again.stdout + again.stderr, /No changes to deploy/);
  await run('aws', ['--endpoint-url', server().url, 'cloudformation', 'wait', 'stack-create-complete', '--stack-name', 'cli-stack'], { env });
  const d = JSON.parse((await run('aws', ['--endpoint-url', server().url, 'cloudformation', 'describe-stacks', '--stack-name', 'cli-stack'], { env })).stdout);
  assert.equal(d.Stacks[0].Outputs[0].OutputValue, 'arn:aws:sns:us-east-1:000000000000:cli-topic');
});
