// Randomized crash test in a cluster (issue 22): two nodes on one PostgreSQL database take seeded mixed traffic (every
// pipeline of test/helpers/crash.ts, writes spread over both nodes); one node, drawn from the seed, is killed with
// SIGKILL at a random moment; the other and the restarted one (same data dir, same database) must finish every
// acknowledged effect. Three kills. Replay with SELFLESS_CRASH_SEED=<the printed seed>.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRASH_ENV, describeVerdict, mixSeed, newLedger, rng, settleAndCheck, setUp, trafficThenKill } from '../helpers/crash.js';
import { pgUnavailable } from '../helpers/pg.js';
import { removeDir, startCluster, type Cluster, type Running } from '../helpers/server.js';

const skip = await pgUnavailable();
const KILLS = 3;
const seed = Number(process.env['SELFLESS_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

describe('Crash in a cluster (two nodes on one PostgreSQL)', { skip, timeout: 560_000 }, () => {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-crash-cluster-'));
  let cluster: Cluster | undefined;
  after(async () => {
    await cluster?.stop();
    removeDir(outDir);
  });

  test(`Crash cluster: ${KILLS} kill -9 of a random node amid traffic through both lose no acknowledged effect (seed ${seed})`, async (t) => {
    console.log(`crash-random cluster: seed ${seed} (replay with SELFLESS_CRASH_SEED=${seed})`);
    const schedule = rng(seed);
    const random = rng(mixSeed(seed));
    const out = join(outDir, 'effects.txt');
    cluster = await startCluster(2, { env: CRASH_ENV });
    const live: Running[] = [...cluster.nodes];
    const world = await setUp(live[0]!.url, out);
    const ledger = newLedger();
    for (let round = 0; round < KILLS; round++) {
      const v = Math.floor(schedule() * live.length);
      const victim = live[v]!;
      const killAfter = 40 + Math.floor(schedule() * 160);
      const extraMs = Math.floor(schedule() * 2_000);
      const r = await trafficThenKill(
        world,
        ledger,
        {
          urls: live.map((n) => n.url),
          kill: async () => void assert.equal((await victim.stop('SIGKILL')).signal, 'SIGKILL'),
          killAfter,
          extraMs,
          writers: 6,
          prefix: `r${round}`,
          random,
          isVictim: (u) => u === victim.url,
        },
        out,
      );
      assert.deepEqual(ledger.refused, [], 'no write was refused by a live node');
      live[v] = await cluster.add({ dataDir: victim.dataDir });
      const survivor = live[1 - v]!;
      const verdict = await settleAndCheck(survivor.url, out, ledger, 150_000);
      const line = `crash-random cluster seed ${seed} kill ${round + 1}/${KILLS} of node ${v} (after ${killAfter} acks + ${extraMs} ms, ${r.ackedBeforeKill} acked this round, ${r.pendingAtKill} of them not yet recorded at the kill): ${describeVerdict(verdict)}`;
      console.log(line);
      t.diagnostic(line);
      assert.deepEqual(verdict.missing, [], `every acknowledged effect is there after kill ${round + 1} (seed ${seed})`);
    }
    console.log(`crash-random cluster seed ${seed}: acknowledged writes by kind ${JSON.stringify(ledger.acked)}`);
  });
});
