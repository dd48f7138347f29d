// The ASL interpreter on its own: I/O processing order, Choice, intrinsics, Map/Parallel, Retry/Catch, Lambda results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import type { LambdaInvoker } from '../../src/services/lambda/invoker.js';
import { Execution, type ExecHooks } from '../../src/services/states/run/executor.js';
import { ActivityQueues, TokenRegistry } from '../../src/services/states/run/tasks.js';
import { TimerWheel } from '../../src/services/states/run/timers.js';
import { validateDefinition, formatDiagnostics } from '../../src/services/states/asl/validate.js';

type Fn = (payload: unknown) => { payload: unknown; error?: boolean } | Promise<{ payload: unknown; error?: boolean }>;

function fakeLambda(fns: Record<string, Fn>, calls: string[] = []): LambdaInvoker {
  return {
    resolve: () => {
      throw new Error('unused');
    },
    resolveFresh: () => Promise.reject(new Error('unused')),
    async invoke(i) {
      const name = i.functionName.replace(/^arn:aws:lambda:[^:]+:\d+:function:/, '');
      calls.push(name);
      const fn = fns[name];
      if (!fn) throw new AwsError('ResourceNotFoundException', `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}`);
      const r = await fn(JSON.parse(i.payload.toString()));
      return { payload: Buffer.from(JSON.stringify(r.payload)), functionError: r.error ? 'Unhandled' : undefined, executedVersion: '$LATEST', streamed: false, coldStart: false };
    },
  };
}

async function run(def: object, input: unknown = {}, fns: Record<string, Fn> = {}, calls: string[] = [], sleep?: ExecHooks['sleep']) {
  const v = validateDefinition(JSON.stringify(def));
  assert.deepEqual(v.diagnostics, [], formatDiagnostics(v.diagnostics));
  const clock = new FakeClock();
  const sleeps: number[] = [];
  const ex = new Execution(
    { arn: 'arn:aws:states:us-east-1:000000000000:execution:sm:e', name: 'e', smArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:sm', smName: 'sm', roleArn: 'arn:aws:iam::000000000000:role/r', input: input as never, startTime: clock.now(), type: 'STANDARD', definition: def as never },
    { clock, wheel: new TimerWheel(clock), lambda: fakeLambda(fns, calls), region: 'us-east-1', accountId: '000000000000', tokens: new TokenRegistry(), activities: new ActivityQueues() },
    {
      sleep:
        sleep ??
        (async (at) => {
          sleeps.push(at - clock.now());
          clock.advance(at - clock.now());
        }),
    },
  );
  ex.start();
  await ex.run();
  return { status: ex.status, output: ex.output, error: ex.error, cause: ex.cause, types: ex.history.events.map((e) => e.type), events: ex.history.events, sleeps };
}

test('Interpreter: InputPath → Parameters → ResultSelector → ResultPath → OutputPath in order', async () => {
  const r = await run(
    {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', InputPath: '$.in', Parameters: { FunctionName: 'double', 'Payload.$': '$' }, ResultSelector: { 'v.$': '$.Payload.n' }, ResultPath: '$.res', OutputPath: '$.res', End: true },
      },
    },
    { in: { n: 21 }, other: 1 },
    { double: (p) => ({ payload: { n: (p as { n: number }).n * 2 } }) },
  );
  assert.equal(r.status, 'SUCCEEDED');
  assert.deepEqual(r.output, { v: 42 });
  assert.deepEqual(r.types, ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
});

test('Interpreter: the lambda:invoke result has AWS shape (ExecutedVersion, Payload, StatusCode)', async () => {
  const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', Payload: { a: 1 } }, End: true } } }, {}, { f: (p) => ({ payload: p }) });
  const o = r.output as Record<string, unknown>;
  assert.equal(o['ExecutedVersion'], '$LATEST');
  assert.equal(o['StatusCode'], 200);
  assert.deepEqual(o['Payload'], { a: 1 });
});

test('Interpreter: a function error is named by its errorType and caught; Retry runs with backoff first', async () => {
  const calls: string[] = [];
  const r = await run(
    {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:boom', End: true,
          Retry: [{ ErrorEquals: ['CustomError'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 3 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Handled' }],
        },
        Handled: { Type: 'Pass', End: true },
      },
    },
    { k: 1 },
    { boom: () => ({ payload: { errorType: 'CustomError', errorMessage: 'bad' }, error: true }) },
    calls,
  );
  assert.equal(r.status, 'SUCCEEDED');
  assert.equal(calls.length, 3);
  assert.deepEqual(r.sleeps, [2000, 6000]);
  const out = r.output as { k: number; err: { Error: string; Cause: string } };
  assert.equal(out.err.Error, 'CustomError');
  assert.deepEqual(JSON.parse(out.err.Cause), { errorType: 'CustomError', errorMessage: 'bad' });
  assert.ok(r.types.includes('LambdaFunctionFailed'));
});

test('Interpreter: a missing function fails with Lambda.ResourceNotFoundException; States.ALL does not catch States.Runtime', async () => {
  const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'nope' }, End: true } } });
  assert.equal(r.status, 'FAILED');
  assert.equal(r.error, 'Lambda.ResourceNotFoundException');
  assert.match(r.cause!, /Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException/);
  const r2 = await run({
    StartAt: 'P',
    States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', Parameters: { 'a.$': '$.missing' }, End: true } } }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Ok' }], End: true }, Ok: { Type: 'Succeed' } },
  });
  assert.equal(r2.status, 'FAILED');
  assert.equal(r2.error, 'States.Runtime');
  assert.match(r2.cause!, /The JSONPath '\$.missing' specified for the field 'a.\$' could not be found in the input '\{\}'/);
});

test('Interpreter: Choice operators, And/Or/Not, Is*, StringMatches, …Path and the Default', async () => {
  const def = {
    StartAt: 'C',
    States: {
      C: {
        Type: 'Choice',
        Choices: [
          { And: [{ Variable: '$.s', StringMatches: 'log-*.txt' }, { Not: { Variable: '$.n', NumericGreaterThanPath: '$.limit' } }], Next: 'A' },
          { Or: [{ Variable: '$.t', TimestampLessThan: '2020-01-01T00:00:00Z' }, { Variable: '$.absent', IsPresent: true }], Next: 'B' },
        ],
        Default: 'D',
      },
      A: { Type: 'Pass', Result: 'A', End: true },
      B: { Type: 'Pass', Result: 'B', End: true },
      D: { Type: 'Pass', Result: 'D', End: true },
    },
  };
  assert.equal((await run(def, { s: 'log-1.txt', n: 3, limit: 5 })).output, 'A');
  assert.equal((await run(def, { s: 'log-1.txt', n: 9, limit: 5, t: '2019-05-01T00:00:00Z' })).output, 'B');
  assert.equal((await run(def, { s: 'x', n: 1, limit: 5, t: '2021-05-01T00:00:00Z' })).output, 'D');
  const none = await run({ StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'E' }] }, E: { Type: 'Succeed' } } }, { x: false });
  assert.equal(none.error, 'States.NoChoiceMatched');
});

test('Interpreter: intrinsic functions compute AWS results (StringSplit splits on any delimiter, drops empties)', async () => {
  const r = await run(
    {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Pass',
          Parameters: {
            'split.$': "States.StringSplit('This.is+a,test=string', '.+,=')",
            'fmt.$': "States.Format('Hello {} and \\'{}\\'', $.a, $.b)",
            'range.$': 'States.ArrayRange(1, 9, 3)',
            'part.$': 'States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2)',
            'len.$': 'States.ArrayLength($.arr)',
            'uniq.$': 'States.ArrayUnique($.arr)',
            'b64.$': "States.Base64Encode('Data to encode')",
            'hash.$': "States.Hash('input data', 'SHA-1')",
            'merge.$': 'States.JsonMerge($.o1, $.o2, false)',
            'add.$': 'States.MathAdd(111, -1)',
            'json.$': "States.StringToJson('{\"n\":1}')",
            'str.$': 'States.JsonToString($.o1)',
            'has.$': 'States.ArrayContains($.arr, 2)',
            'item.$': 'States.ArrayGetItem($.arr, 1)',
          },
          End: true,
        },
      },
    },
    { a: 'x', b: 1, arr: [1, 2, 2, 3], o1: { a: 1, b: { c: 1 } }, o2: { b: { d: 2 } } },
  );
  assert.equal(r.status, 'SUCCEEDED', r.cause);
  assert.deepEqual(r.output, {
    split: ['This', 'is', 'a', 'test', 'string'],
    fmt: "Hello x and '1'",
    range: [1, 4, 7],
    part: [[1, 2], [3, 4], [5]],
    len: 4,
    uniq: [1, 2, 3],
    b64: 'RGF0YSB0byBlbmNvZGU=',
    hash: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
    merge: { a: 1, b: { d: 2 } },
    add: 110,
    json: { n: 1 },
    str: '{"a":1,"b":{"c":1}}',
    has: true,
    item: 2,
  });
});

test('Interpreter: Map with ItemSelector, context $$.Map.Item and MaxConcurrency keeps item order', async () => {
  const r = await run(
    {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map', ItemsPath: '$.xs', MaxConcurrency: 2, ItemSelector: { 'i.$': '$$.Map.Item.Index', 'v.$': '$$.Map.Item.Value', 'k.$': '$.k' },
          ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'id', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true } } },
          End: true,
        },
      },
    },
    { xs: ['a', 'b', 'c'], k: 7 },
    { id: async (p) => ({ payload: p }) },
  );
  assert.deepEqual(r.output, [{ i: 0, v: 'a', k: 7 }, { i: 1, v: 'b', k: 7 }, { i: 2, v: 'c', k: 7 }]);
});

test('Interpreter: Map ToleratedFailureCount lets some iterations fail; beyond it States.ExceedToleratedFailureThreshold', async () => {
  const def = (n: number) => ({
    StartAt: 'M',
    States: { M: { Type: 'Map', ToleratedFailureCount: n, Iterator: { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 0, Next: 'F' }], Default: 'S' }, F: { Type: 'Fail', Error: 'Zero' }, S: { Type: 'Succeed' } } }, End: true } },
  });
  const ok = await run(def(1), [1, 0, 2]);
  assert.equal(ok.status, 'SUCCEEDED');
  const bad = await run(def(0), [1, 0, 2]);
  assert.equal(bad.error, 'States.ExceedToleratedFailureThreshold');
});

test('Interpreter: Parallel returns branch outputs in order and a branch failure fails the state', async () => {
  const r = await run({ StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Pass', Result: 1, End: true } } }, { StartAt: 'B', States: { B: { Type: 'Pass', Result: 2, End: true } } }], End: true } } });
  assert.deepEqual(r.output, [1, 2]);
  const f = await run({ StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'A', States: { A: { Type: 'Fail', Error: 'X', Cause: 'y' } } }], End: true } } });
  assert.equal(f.error, 'X');
  assert.equal(f.cause, 'y');
});

/** A sleep that lasts until the execution, or the Map/Parallel branch it runs in, is stopped. */
const endless: ExecHooks['sleep'] = (_at, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

/** Branch programs by their input: 'wait' waits an hour, any other name invokes that function; both then run 'After'. */
const waitOrInvoke = {
  StartAt: 'C',
  States: {
    C: { Type: 'Choice', Choices: [{ Variable: '$', StringEquals: 'wait', Next: 'W' }], Default: 'T' },
    W: { Type: 'Wait', Seconds: 3600, Next: 'After' },
    T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$', Payload: {} }, Next: 'After' },
    After: { Type: 'Pass', End: true },
  },
};

/** A function that answers only once released, and one that fails (error Boom) after the others are under way. */
function slowAndBoom(): { fns: Record<string, Fn>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const fns: Record<string, Fn> = {
    slow: async () => {
      await released;
      return { payload: 1 };
    },
    boom: async () => {
      await ticks(5);
      return { payload: { errorType: 'Boom', errorMessage: 'b' }, error: true };
    },
  };
  return { fns, release };
}

test('Map: a failing iteration aborts its running siblings, which run no further states', async () => {
  const { fns, release } = slowAndBoom();
  const r = await run({ StartAt: 'M', States: { M: { Type: 'Map', ItemsPath: '$.xs', Iterator: waitOrInvoke, End: true } } }, { xs: ['wait', 'slow', 'boom'] }, fns, [], endless);
  assert.equal(r.status, 'FAILED');
  assert.equal(r.error, 'Boom');
  const failed = r.events.findIndex((e) => e.type === 'MapIterationFailed');
  const tail = r.events.slice(failed);
  assert.deepEqual(tail.map((e) => e.type), ['MapIterationFailed', 'TaskStateAborted', 'MapIterationAborted', 'WaitStateAborted', 'MapIterationAborted', 'TaskStateAborted', 'MapStateFailed', 'ExecutionFailed']);
  assert.deepEqual(tail.filter((e) => e.type === 'MapIterationAborted').map((e) => (e['mapIterationAbortedEventDetails'] as { index: number }).index), [0, 1]);
  // Each abort is chained to the failed iteration's last event, as AWS records.
  const taskFailed = r.events.find((e) => e.type === 'TaskFailed')!.id;
  assert.ok(tail.slice(0, 7).every((e) => e.previousEventId === taskFailed));
  // The slow task answering later records nothing, and neither stopped sibling goes on to 'After'.
  const count = r.events.length;
  release();
  await ticks(10);
  assert.equal(r.events.length, count);
  assert.ok(!r.events.some((e) => e.type === 'PassStateEntered'));
});

test('Parallel: a failing branch aborts the running branches, which run no further states', async () => {
  const { fns, release } = slowAndBoom();
  const branch = (x: string) => ({ StartAt: 'I', States: { I: { Type: 'Pass', Result: x, Next: 'C' }, ...waitOrInvoke.States } });
  const r = await run({ StartAt: 'P', States: { P: { Type: 'Parallel', Branches: ['wait', 'slow', 'boom'].map(branch), End: true } } }, {}, fns, [], endless);
  assert.equal(r.error, 'Boom');
  const taskFailed = r.events.findIndex((e) => e.type === 'TaskFailed');
  assert.deepEqual(r.events.slice(taskFailed).map((e) => e.type), ['TaskFailed', 'TaskStateAborted', 'WaitStateAborted', 'TaskStateAborted', 'ParallelStateFailed', 'ExecutionFailed']);
  const count = r.events.length;
  release();
  await ticks(10);
  assert.equal(r.events.length, count);
  assert.ok(!r.events.some((e) => e.type === 'PassStateEntered' && (e['stateEnteredEventDetails'] as { name: string }).name === 'After'));
});

test('Interpreter: variables assigned with Assign are visible to later states (JSONPath and JSONata)', async () => {
  const r = await run({ StartAt: 'A', States: { A: { Type: 'Pass', Result: { v: 5 }, Assign: { 'x.$': '$.v' }, Next: 'B' }, B: { Type: 'Pass', Parameters: { 'got.$': '$x' }, End: true } } });
  assert.deepEqual(r.output, { got: 5 });
  const j = await run({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: '{% $states.input.n * 2 %}' }, Next: 'B' }, B: { Type: 'Pass', Output: { got: '{% $x + 1 %}' }, End: true } } }, { n: 4 });
  assert.deepEqual(j.output, { got: 9 });
});

test('Interpreter: Wait with SecondsPath sleeps through the durable timer; Fail uses ErrorPath/CausePath', async () => {
  const r = await run({ StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.s', Next: 'F' }, F: { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('c{}', $.s)" } } }, { s: 5, e: 'Err' });
  assert.deepEqual(r.sleeps, [5000]);
  assert.equal(r.error, 'Err');
  assert.equal(r.cause, 'c5');
});

test('Validation: AWS-worded InvalidDefinition messages', () => {
  assert.equal(formatDiagnostics(validateDefinition('{"StartAt":"A"}').diagnostics), "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'");
  assert.match(formatDiagnostics(validateDefinition('{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}').diagnostics), /Missing 'Next' target: B at \/States\/A\/Next/);
  assert.match(formatDiagnostics(validateDefinition('{"StartAt":"A","States":{"A":{"Type":"Bogus"}}}').diagnostics), /The field 'Type' should have one of these values: \[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map\] at \/States\/A\/Type/);
});
