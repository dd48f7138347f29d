// Randomized crash test (issue 22): seeded mixed traffic into every pipeline that ends in a function (SQS sends and
// batches, async Invoke with an OnSuccess destination, Step Functions executions with a Lambda task, SNS → SQS, S3 →
// notification → SQS, DynamoDB stream and Kinesis mappings), `kill -9` of the server at a random moment, a restart on
// the same data, and the check that every acknowledged effect is there; three kills per run, on the store the run uses
// (the suite runs it on SQLite and again on PostgreSQL). Replay a failure with SELFLESS_CRASH_SEED=<the printed seed>.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRASH_ENV, describeVerdict, mixSeed, newLedger, rng, settleAndCheck, setUp, trafficThenKill } from '../helpers/crash.js';
import { removeDir, removeServer, startServer, type Running } from '../helpers/server.js';

const KILLS = 3;
const seed = Number(process.env['SELFLESS_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const outDir = mkdtempSync(join(tmpdir(), 'selfless-crash-'));
const servers: Running[] = [];
after(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  if (servers[0]) await removeServer(servers[0]).catch(() => undefined);
  removeDir(outDir);
});

test(`Crash: ${KILLS} kill -9 at random moments of mixed traffic lose no acknowledged effect (seed ${seed})`, { timeout: 540_000 }, async (t) => {
  const store = process.env['SELFLESS_TEST_STORE'] === 'postgres' ? 'PostgreSQL' : 'SQLite';
  console.log(`crash-random: seed ${seed} on ${store} (replay with SELFLESS_CRASH_SEED=${seed})`);
  const schedule = rng(seed);
  const random = rng(mixSeed(seed));
  const out = join(outDir, 'effects.txt');
  let s = await startServer({ env: CRASH_ENV });
  servers.push(s);
  const world = await setUp(s.url, out);
  const ledger = newLedger();
  for (let round = 0; round < KILLS; round++) {
    const victim = s;
    const killAfter = 40 + Math.floor(schedule() * 160);
    const extraMs = Math.floor(schedule() * 2_000);
    const r = await trafficThenKill(world, ledger, {
      urls: [victim.url],
      kill: async () => void assert.equal((await victim.stop('SIGKILL')).signal, 'SIGKILL'),
      killAfter,
      extraMs,
      writers: 6,
      prefix: `r${round}`,
      random,
      isVictim: () => true,
    }, out);
    assert.deepEqual(ledger.refused, [], 'no write was refused by a live server');
    s = await startServer({ dataDir: victim.dataDir, env: CRASH_ENV });
    servers.push(s);
    const v = await settleAndCheck(s.url, out, ledger);
    const line = `crash-random ${store} seed ${seed} kill ${round + 1}/${KILLS} (after ${killAfter} acks + ${extraMs} ms, ${r.ackedBeforeKill} acked this round, ${r.pendingAtKill} of them not yet recorded at the kill): ${describeVerdict(v)}`;
    console.log(line);
    t.diagnostic(line);
    assert.deepEqual(v.missing, [], `every acknowledged effect is there after kill ${round + 1} (seed ${seed})`);
  }
  console.log(`crash-random ${store} seed ${seed}: acknowledged writes by kind ${JSON.stringify(ledger.acked)}`);
  await s.stop();
});
