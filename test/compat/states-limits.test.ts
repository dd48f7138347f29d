// Compatibility: Step Functions refuses what AWS refuses: workflows with no terminal state or unreachable states,
// definitions over 1,048,576 characters or nested absurdly deep, execution input over 262,144 characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStateMachineCommand, StartExecutionCommand, ValidateStateMachineDefinitionCommand } from '@aws-sdk/client-sfn';
import { liveServer } from '../helpers/server.js';
import { sfnClient, SM_ROLE } from '../helpers/states.js';

const server = liveServer();

const fails = (name: string, message: string | RegExp) => (e: unknown): boolean => {
  const x = e as { name: string; message: string; $metadata: { httpStatusCode: number } };
  assert.equal(x.name, name);
  if (typeof message === 'string') assert.equal(x.message, message);
  else assert.match(x.message, message);
  assert.equal(x.$metadata.httpStatusCode, 400);
  return true;
};

test('States: a cycle with no terminal state and an unreachable state are InvalidDefinition in AWS\'s words', async () => {
  const sfn = sfnClient(server().url);
  const cycle = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: 'cycle', definition: cycle, roleArn: SM_ROLE })),
    fails('InvalidDefinition', "Invalid State Machine Definition: 'MISSING_END_STATE: Workflow has no terminal state at null'"));
  const lost = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Succeed' }, Lost: { Type: 'Succeed' } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: 'lost', definition: lost, roleArn: SM_ROLE })),
    fails('InvalidDefinition', `Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: State "Lost" is not reachable. at /States/Lost'`));
  const v = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: cycle }));
  assert.equal(v.result, 'FAIL');
  assert.deepEqual(v.diagnostics, [{ severity: 'ERROR', code: 'MISSING_END_STATE', message: 'Workflow has no terminal state' }]);
});

test('States: a definition over 1,048,576 characters, or Parallel states nested 2,000 deep, is refused (no 500)', async () => {
  const sfn = sfnClient(server().url);
  const big = JSON.stringify({ StartAt: 'A', Comment: 'x'.repeat(1_048_576), States: { A: { Type: 'Succeed' } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: 'big', definition: big, roleArn: SM_ROLE })),
    fails('ValidationException', "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576"));
  const deep = `${'{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":['.repeat(2000)}{"StartAt":"L","States":{"L":{"Type":"Succeed"}}}${']}}}'.repeat(2000)}`;
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: 'deep', definition: deep, roleArn: SM_ROLE })), fails('InvalidDefinition', /SCHEMA_VALIDATION_FAILED: The definition is nested more than 512 levels deep at \//));
});

test('States: execution input over 262,144 characters is a ValidationException that does not echo the input', async () => {
  const sfn = sfnClient(server().url);
  const arn = (await sfn.send(new CreateStateMachineCommand({ name: 'inputs', definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Succeed' } } }), roleArn: SM_ROLE }))).stateMachineArn!;
  const input = JSON.stringify({ x: 'y'.repeat(262_144) });
  await assert.rejects(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input })),
    fails('ValidationException', "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144"));
  const ok = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ x: 'y'.repeat(200_000) }) }));
  assert.ok(ok.executionArn);
});
