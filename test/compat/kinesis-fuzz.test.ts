// Fuzzing Kinesis: model-generated bad requests to every operation get AWS-shaped 4xx errors, never a 5xx or a drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge, mutations, send } from '../helpers/fuzz.js';
import { liveServer } from '../helpers/server.js';
import { kinesisShapes } from '../../src/services/kinesis/shapes.js';

const server = liveServer();
const PER_OP = Number(process.env['FUZZ_PER_OP'] ?? 40);
const SEED = Number(process.env['FUZZ_SEED'] ?? 7);
const req = (op: string, body: string) => ({ method: 'POST', path: '/', headers: { 'x-amz-target': `Kinesis_20131202.${op}`, 'content-type': 'application/x-amz-json-1.1' }, body });

test('Kinesis fuzz: model-generated bad requests to every operation get AWS-shaped errors, never a 5xx or a dropped connection', async () => {
  const url = server().url;
  const setup = async (op: string, body: object): Promise<void> => {
    const a = await send(url, req(op, JSON.stringify(body)));
    assert.ok(typeof a === 'object' && a.status === 200, `${op}: ${typeof a === 'object' ? a.body.toString() : a}`);
  };
  await setup('CreateStream', { StreamName: 'fz', ShardCount: 2 });
  await setup('PutRecord', { StreamName: 'fz', PartitionKey: 'k', Data: 'eA==' });
  // Names and ARNs the mutated requests carry, so that many reach past "not found".
  const known = { StreamName: 'fz', StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/fz', ResourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/fz', ShardId: 'shardId-000000000000' };
  const failures: string[] = [];
  let requests = 0;
  let seed = SEED;
  for (const op of Object.keys(kinesisShapes.ops)) {
    if (op === 'DeleteStream') continue;
    const allowed = new Set([...kinesisShapes.ops[op]!.e, 'ExpiredNextTokenException']);
    for (const m of mutations(kinesisShapes, op, known, PER_OP, seed++)) {
      const a = await send(url, req(op, m.body));
      requests++;
      if (m.kind === 'base' && typeof a === 'object' && /UnknownOperationException/.test(String(a.headers['x-amzn-errortype'] ?? a.body.toString()))) break;
      const v = judge('json', a, allowed);
      if (v.verdict !== 'ok') failures.push(`${v.verdict} ${op} ${m.kind}: ${v.why} ${m.body.slice(0, 300)}`);
    }
  }
  process.stdout.write(`# kinesis fuzz: ${requests} requests\n`);
  assert.deepEqual(failures.slice(0, 10), []);
  assert.ok(requests > 500);
});
