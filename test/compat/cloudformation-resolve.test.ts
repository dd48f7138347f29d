// CloudFormation dynamic references ({{resolve:ssm|ssm-secure|secretsmanager:…}}) and SSM parameter types, with the real SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  UpdateStackCommand,
  waitUntilStackCreateComplete,
  waitUntilStackUpdateComplete,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lambdaClient, ROLE } from '../helpers/lambda.js';
import { liveServer } from '../helpers/server.js';

const server = liveServer();
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };
const cfn = (): CloudFormationClient => new CloudFormationClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
const ssm = (): SSMClient => new SSMClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
const sm = (): SecretsManagerClient => new SecretsManagerClient({ endpoint: server().url, region: 'us-east-1', credentials: creds });
const waiter = { minDelay: 1, maxDelay: 1, maxWaitTime: 60 };
const PASSWORD = 'pw-9f2c1e7a';

async function stack(name: string): Promise<Stack> {
  return (await cfn().send(new DescribeStacksCommand({ StackName: name }))).Stacks![0]!;
}

async function settled(name: string): Promise<Stack> {
  for (let i = 0; i < 120; i++) {
    const s = await stack(name);
    if (!s.StackStatus!.endsWith('_IN_PROGRESS')) return s;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`stack ${name} did not settle`);
}

/** A template of one function whose environment variables are the given strings (references in them). */
const FUNCTION = (name: string, vars: Record<string, string>, parameters = ''): string =>
  JSON.stringify({
    ...(parameters ? { Parameters: JSON.parse(parameters) as unknown } : {}),
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: ROLE,
          Code: { ZipFile: 'exports.handler = async () => process.env;' },
          Environment: { Variables: vars },
        },
      },
    },
  });

async function seed(): Promise<string> {
  await ssm().send(new PutParameterCommand({ Name: '/app/greeting', Value: 'hello', Type: 'String' }));
  await ssm().send(new PutParameterCommand({ Name: '/app/greeting', Value: 'hola', Type: 'String', Overwrite: true }));
  await ssm().send(new PutParameterCommand({ Name: '/app/key', Value: 'secure-value-77', Type: 'SecureString' }));
  await ssm().send(new PutParameterCommand({ Name: '/app/regions', Value: 'eu-west-1,us-east-2', Type: 'StringList' }));
  const s = await sm().send(new CreateSecretCommand({ Name: 'db', SecretString: JSON.stringify({ username: 'admin', password: PASSWORD }) }));
  return s.ARN!;
}

test('CloudFormation: a function environment takes {{resolve:ssm:…}} and {{resolve:secretsmanager:…}} values (latest, a version, a JSON key, by ARN, several in one string); secrets stay out of events, DescribeStacks and GetTemplate', async () => {
  const arn = await seed();
  const vars = {
    GREETING: '{{resolve:ssm:/app/greeting}}',
    FIRST: '{{resolve:ssm:/app/greeting:1}}',
    PASSWORD: '{{resolve:secretsmanager:db:SecretString:password}}',
    DSN: 'user={{resolve:secretsmanager:db:SecretString:username}};pw={{resolve:secretsmanager:' + arn + ':SecretString:password:AWSCURRENT}}',
    WHOLE: '{{resolve:secretsmanager:db}}',
  };
  await cfn().send(new CreateStackCommand({ StackName: 'resolve-ok', TemplateBody: FUNCTION('resolve-ok-fn', vars) }));
  await waitUntilStackCreateComplete({ client: cfn(), ...waiter }, { StackName: 'resolve-ok' });
  const conf = await lambdaClient(server().url).send(new GetFunctionConfigurationCommand({ FunctionName: 'resolve-ok-fn' }));
  assert.deepEqual(conf.Environment?.Variables, {
    GREETING: 'hola',
    FIRST: 'hello',
    PASSWORD,
    DSN: `user=admin;pw=${PASSWORD}`,
    WHOLE: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const seen = JSON.stringify([
    await stack('resolve-ok'),
    (await cfn().send(new DescribeStackEventsCommand({ StackName: 'resolve-ok' }))).StackEvents,
    (await cfn().send(new GetTemplateCommand({ StackName: 'resolve-ok' }))).TemplateBody,
  ]);
  assert.ok(!seen.includes(PASSWORD), 'a secret value shows in the stack');
  assert.ok(seen.includes('{{resolve:secretsmanager:db:SecretString:password}}'), 'GetTemplate keeps the reference as written');
  // An update whose reference changes (a pinned version) updates the function in place with the new value.
  await cfn().send(new UpdateStackCommand({ StackName: 'resolve-ok', TemplateBody: FUNCTION('resolve-ok-fn', { ...vars, GREETING: '{{resolve:ssm:/app/greeting:1}}' }) }));
  await waitUntilStackUpdateComplete({ client: cfn(), ...waiter }, { StackName: 'resolve-ok' });
  const after = await lambdaClient(server().url).send(new GetFunctionConfigurationCommand({ FunctionName: 'resolve-ok-fn' }));
  assert.equal(after.Environment?.Variables?.['GREETING'], 'hello');
  assert.equal(after.Environment?.Variables?.['PASSWORD'], PASSWORD);
});

test('CloudFormation: SSM parameter types take the named parameter’s value; DescribeStacks shows ResolvedValue; an absent one refuses the stack', async () => {
  const params = JSON.stringify({
    Greeting: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/app/greeting' },
    Regions: { Type: 'AWS::SSM::Parameter::Value<List<String>>', Default: '/app/regions' },
    Names: { Type: 'AWS::SSM::Parameter::Value<CommaDelimitedList>', Default: '/app/regions' },
    Which: { Type: 'AWS::SSM::Parameter::Name', Default: '/app/greeting' },
  });
  const vars = { GREETING: { Ref: 'Greeting' }, SECOND: { 'Fn::Select': [1, { Ref: 'Regions' }] }, FIRST: { 'Fn::Select': [0, { Ref: 'Names' }] }, WHICH: { Ref: 'Which' } };
  await cfn().send(new CreateStackCommand({ StackName: 'resolve-typed', TemplateBody: FUNCTION('resolve-typed-fn', vars as never, params) }));
  await waitUntilStackCreateComplete({ client: cfn(), ...waiter }, { StackName: 'resolve-typed' });
  const conf = await lambdaClient(server().url).send(new GetFunctionConfigurationCommand({ FunctionName: 'resolve-typed-fn' }));
  assert.deepEqual(conf.Environment?.Variables, { GREETING: 'hola', SECOND: 'us-east-2', FIRST: 'eu-west-1', WHICH: '/app/greeting' });
  const shown = Object.fromEntries((await stack('resolve-typed')).Parameters!.map((p) => [p.ParameterKey!, [p.ParameterValue, p.ResolvedValue]]));
  assert.deepEqual(shown, {
    Greeting: ['/app/greeting', 'hola'],
    Regions: ['/app/regions', 'eu-west-1,us-east-2'],
    Names: ['/app/regions', 'eu-west-1,us-east-2'],
    Which: ['/app/greeting', undefined],
  });
  await assert.rejects(
    cfn().send(new CreateStackCommand({ StackName: 'resolve-typed-missing', TemplateBody: FUNCTION('x', { A: { Ref: 'P' } } as never, '{"P":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"/app/absent"}}') })),
    (e: Error & { name: string }) => e.name === 'ValidationError' && e.message === 'Unable to fetch parameters [/app/absent] from parameter store for this account.',
  );
  await assert.rejects(
    cfn().send(new CreateStackCommand({ StackName: 'resolve-typed-secure', TemplateBody: FUNCTION('x', { A: { Ref: 'P' } } as never, '{"P":{"Type":"AWS::SSM::Parameter::Value<String>","Default":"/app/key"}}') })),
    (e: Error & { name: string }) => e.name === 'ValidationError' && e.message === 'Parameters [/app/key] referenced by template have types not supported by CloudFormation.',
  );
});

test('CloudFormation: a reference to a missing SSM parameter refuses the stack; a missing secret or JSON key fails the resource and rolls back; ssm-secure is refused outside the properties AWS allows', async () => {
  await assert.rejects(
    cfn().send(new CreateStackCommand({ StackName: 'resolve-no-param', TemplateBody: FUNCTION('resolve-no-param-fn', { A: 'x-{{resolve:ssm:/app/missing}}' }) })),
    (e: Error & { name: string }) => e.name === 'ValidationError' && e.message === 'Parameters: [ssm:/app/missing] cannot be found.',
  );
  // A SecureString's plaintext comes only through ssm-secure.
  await assert.rejects(
    cfn().send(new CreateStackCommand({ StackName: 'resolve-plain-secure', TemplateBody: FUNCTION('resolve-plain-secure-fn', { A: '{{resolve:ssm:/app/key}}' }) })),
    (e: Error & { name: string }) => e.name === 'ValidationError' && e.message === "Non-secure ssm prefix was used for secure parameter: '/app/key'",
  );
  const failing: Array<[string, Record<string, string>, RegExp]> = [
    ['resolve-no-secret', { A: '{{resolve:secretsmanager:nope:SecretString:password}}' }, /^Secrets Manager can't find the specified secret\. \(Service: AWSSecretsManager; Status Code: 400; Error Code: ResourceNotFoundException\)$/],
    ['resolve-no-key', { A: '{{resolve:secretsmanager:db:SecretString:port}}' }, /port/],
    ['resolve-secure', { A: '{{resolve:ssm-secure:/app/key}}' }, /^SSM Secure reference is not supported in: \[AWS::Lambda::Function\/Properties\/Environment\/Variables\/A\]$/],
  ];
  for (const [name, vars, reason] of failing) {
    await cfn().send(new CreateStackCommand({ StackName: name, TemplateBody: FUNCTION(`${name}-fn`, vars) }));
    const s = await settled(name);
    assert.equal(s.StackStatus, 'ROLLBACK_COMPLETE', name);
    const events = (await cfn().send(new DescribeStackEventsCommand({ StackName: name }))).StackEvents!;
    const failed = events.find((e) => e.LogicalResourceId === 'Fn' && e.ResourceStatus === 'CREATE_FAILED');
    assert.match(failed?.ResourceStatusReason ?? '', reason, name);
    assert.ok(!JSON.stringify(events).includes('secure-value-77') && !JSON.stringify(events).includes(PASSWORD), name);
  }
});
