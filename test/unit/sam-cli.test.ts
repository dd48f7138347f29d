// `selfless transform` and `selfless validate`: exit codes and output, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAIN } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'selfless-sam-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, AWS_REGION: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const GOOD = `Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: {Bucket: !Sub 'bucket-\${Stage}', Key: code.zip}
      AutoPublishAlias: live
      Handler: index.handler
      Runtime: nodejs20.x
      Environment: {Variables: {REGION: !Ref AWS::Region}}
`;

test('transform: prints the CloudFormation template as JSON, with the region and parameter overrides applied', () => {
  const p = file('good.yaml', GOOD);
  const r = cli('transform', p, '--region', 'eu-west-1', '--parameter-overrides', 'Stage=prod', 'Other=1');
  assert.equal(r.code, 0, r.err);
  const t = JSON.parse(r.out) as { Resources: Record<string, { Type: string }> };
  assert.equal(t.Resources['Fn']!.Type, 'AWS::Lambda::Function');
  assert.equal(t.Resources['FnRole']!.Type, 'AWS::IAM::Role');
  // The override is used where SAM resolves parameters: the version id hashes the resolved code location.
  const version = (out: string): string | undefined => Object.keys((JSON.parse(out) as { Resources: object }).Resources).find((k) => k.startsWith('FnVersion'));
  const dev = cli('transform', p, '--region', 'eu-west-1');
  assert.equal(dev.code, 0, dev.err);
  assert.notEqual(version(r.out), version(dev.out));
});

test('validate: a good template is reported valid with exit 0', () => {
  const p = file('good2.yaml', GOOD);
  const r = cli('validate', p);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trim(), `${p} is a valid SAM Template`);
});

test('validate: every error is printed, each naming its resource, with exit 1', () => {
  const p = file(
    'bad.yaml',
    `Resources:
  A: {Type: AWS::Serverless::Function, Properties: {CodeUri: s3://b/k, Runtime: nodejs20.x}}
  B: {Type: AWS::Serverless::Function, Properties: {CodeUri: s3://b/k, Handler: h, Runtime: x, Timeout: 3, Bogus: 1}}
`,
  );
  const r = cli('validate', p);
  assert.equal(r.code, 1);
  assert.match(r.err, /Number of errors found: 2\./);
  assert.match(r.err, /Resource with id \[A\] is invalid\. Runtime and Handler needs to be present/);
  assert.match(r.err, /Resource with id \[B\] is invalid\. property Bogus not defined for resource of type AWS::Serverless::Function/);
});

test('validate: malformed YAML is CloudFormation\'s format error with the line', () => {
  const r = cli('validate', file('broken.yaml', 'Resources:\n  A: [x\n  B: }\n'));
  assert.equal(r.code, 1);
  assert.match(r.err, /Template format error: YAML not well-formed\. \(line \d+, column \d+\)/);
});

test('transform and validate: --help prints their usage; a missing template is a usage error', () => {
  assert.match(cli('transform', '--help').out, /^usage: selfless transform TEMPLATE/);
  assert.match(cli('validate', '--help').out, /^usage: selfless validate TEMPLATE/);
  const r = cli('validate');
  assert.equal(r.code, 2);
  assert.match(r.err, /usage: selfless validate TEMPLATE/);
});

test('selfless validate: a plain CloudFormation template with a reference to nothing is refused in CloudFormation\'s words', () => {
  const dir = mkdtempSync(join(tmpdir(), 'validate-'));
  const file = join(dir, 'template.yaml');
  writeFileSync(file, 'Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Ref Missing\n');
  const r = spawnSync(process.execPath, [MAIN, 'validate', file], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /Template format error: Unresolved resource dependencies \[Missing\] in the Resources block of the template/);
  rmSync(dir, { recursive: true, force: true });
});
