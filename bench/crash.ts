// Randomized crash test, the long run (issue 22): test/helpers/crash.ts's seeded mixed traffic with SELFLESS_CRASH_KILLS
// (default 10) kill -9s on SQLite, on PostgreSQL and in a two-node cluster on PostgreSQL (a random node killed each time,
// restarted on its data dir), counting acknowledged effects against those found after each restart, and duplicates
// apart. SELFLESS_CRASH_SEED fixes the seed. Run alone: `npm run bench crash`.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CRASH_ENV, KINDS, mixSeed, newLedger, rng, settleAndCheck, setUp, trafficThenKill, type Ledger, type Verdict } from '../test/helpers/crash.js';
import { freshPgDatabase, pgUnavailable, type PgDatabase } from '../test/helpers/pg.js';
import { removeDir, startCluster, startServer, type Running } from '../test/helpers/server.js';
import { pct, type Section } from './lib.js';

interface Outcome {
  config: string;
  kills: number;
  ledger: Ledger;
  last: Verdict;
  pendingAtKill: number;
  settle: number[];
  /** Rounds after which some acknowledged effect was missing. */
  badRounds: number;
  error?: string;
}

/** The kill/restart loop over `nodes` (one: that node; two: a random one of them each round). */
async function rounds(config: string, kills: number, seed: number, nodes: Running[], restart: (victim: Running) => Promise<Running>, out: string): Promise<Outcome> {
  const schedule = rng(seed);
  const random = rng(mixSeed(seed));
  const world = await setUp(nodes[0]!.url, out);
  const ledger = newLedger();
  const o: Outcome = { config, kills: 0, ledger, last: undefined as never, pendingAtKill: 0, settle: [], badRounds: 0 };
  for (let round = 0; round < kills; round++) {
    const v = Math.floor(schedule() * nodes.length);
    const victim = nodes[v]!;
    const r = await trafficThenKill(
      world,
      ledger,
      {
        urls: nodes.map((n) => n.url),
        kill: async () => void (await victim.stop('SIGKILL')),
        killAfter: 40 + Math.floor(schedule() * 160),
        extraMs: Math.floor(schedule() * 2_000),
        writers: 6,
        prefix: `r${round}`,
        random,
        isVictim: (u) => u === victim.url,
      },
      out,
    );
    nodes[v] = await restart(victim);
    o.kills++;
    o.pendingAtKill += r.pendingAtKill;
    o.last = await settleAndCheck(nodes[nodes.length === 1 ? 0 : 1 - v]!.url, out, ledger, 150_000);
    o.settle.push(o.last.settleMs);
    if (o.last.missing.length > 0) o.badRounds++;
    process.stderr.write(`bench crash: ${config} kill ${round + 1}/${kills}: ${o.last.found}/${o.last.expected} found, ${r.pendingAtKill} pending at the kill\n`);
  }
  return o;
}

async function single(config: string, kills: number, seed: number, pgStore: boolean): Promise<Outcome> {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-bench-crash-'));
  let db: PgDatabase | undefined;
  const servers: Running[] = [];
  try {
    if (pgStore) db = await freshPgDatabase();
    const start = async (dataDir?: string): Promise<Running> => {
      const s = await startServer({ env: CRASH_ENV, ...(db ? { store: db.url } : {}), ...(dataDir ? { dataDir } : {}) });
      servers.push(s);
      return s;
    };
    return await rounds(config, kills, seed, [await start()], (v) => start(v.dataDir), join(outDir, 'effects.txt'));
  } finally {
    for (const s of servers) await s.stop('SIGKILL');
    if (servers[0]) removeDir(servers[0].dataDir);
    await db?.drop();
    removeDir(outDir);
  }
}

async function cluster(kills: number, seed: number): Promise<Outcome> {
  const outDir = mkdtempSync(join(tmpdir(), 'selfless-bench-crash-'));
  const c = await startCluster(2, { env: CRASH_ENV });
  try {
    return await rounds('2-node cluster, PostgreSQL', kills, seed, [...c.nodes], (v) => c.add({ dataDir: v.dataDir }), join(outDir, 'effects.txt'));
  } finally {
    await c.stop();
    removeDir(outDir);
  }
}

export async function run(): Promise<Section> {
  const kills = Number(process.env['SELFLESS_CRASH_KILLS'] ?? 10);
  const seed = Number(process.env['SELFLESS_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  const noPg = await pgUnavailable();
  const outcomes: Outcome[] = [];
  const attempt = async (config: string, f: () => Promise<Outcome>): Promise<void> => {
    try {
      outcomes.push(await f());
    } catch (e) {
      outcomes.push({ config, kills: 0, ledger: newLedger(), last: undefined as never, pendingAtKill: 0, settle: [], badRounds: 0, error: e instanceof Error ? e.message : String(e) });
    }
  };
  await attempt('SQLite', () => single('SQLite', kills, seed, false));
  if (!noPg) {
    await attempt('PostgreSQL', () => single('PostgreSQL', kills, seed, true));
    await attempt('2-node cluster, PostgreSQL', () => cluster(kills, seed));
  }
  const rows = outcomes.map((o) => {
    if (o.error || !o.last) return `| ${o.config} | failed: ${(o.error ?? 'no round ran').split('\n').slice(0, 2).join(' ').replace(/\|/g, '/')} | | | | | | | | |`;
    const writes = KINDS.reduce((n, k) => n + o.ledger.acked[k], 0);
    const dup = Object.entries(o.last.duplicates).map(([k, n]) => `${k} ${n}`).join(', ') || '0';
    return `| ${o.config} | ${o.kills} | ${writes} | ${o.last.expected} | ${o.last.found} | ${o.last.missing.length} (${o.badRounds} rounds) | ${o.pendingAtKill} | ${dup} | ${o.last.unacknowledged} | ${(pct(o.settle, 50) / 1000).toFixed(1)} / ${(Math.max(...o.settle) / 1000).toFixed(1)} s |`;
  });
  const mix = outcomes
    .filter((o) => !o.error && o.last)
    .map((o) => `${o.config}: ${KINDS.map((k) => `${k} ${o.ledger.acked[k]}`).join(', ')}`)
    .join('; ');
  return {
    title: 'Randomized crash test (issue 22)',
    markdown: [
      `Seed ${seed}, ${kills} kill -9 per configuration at random moments (after 40–200 acknowledgements plus 0–2 s) of mixed traffic from 6 writers: SQS SendMessage and SendMessageBatch (→ mapping → function), async Invoke (the function runs; its OnSuccess record → queue → mapping → function), Step Functions executions with a Lambda task, SNS Publish → SQS → function, S3 PutObject → notification → SQS → function, DynamoDB PutItem → stream → function, Kinesis PutRecords → function. The recorder function takes 150 ms a call. After each kill the node restarts on its data (in the cluster: the killed node of the two, drawn from the seed; writes went to both) and every acknowledged effect so far is checked: each recorder line, each object (HeadObject), item (GetItem) and execution (SUCCEEDED). Replay: \`SELFLESS_CRASH_SEED=${seed} npm run bench crash\`.${noPg ? ` PostgreSQL rows skipped: ${noPg}.` : ''}`,
      '',
      '| configuration | kills | acknowledged writes | acknowledged effects | found after restarts | missing | effects pending at the kills (sum) | duplicates (by kind) | effects of unacknowledged calls | settle time median / max |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `Acknowledged writes by kind (a batch entry counts as one): ${mix}.`,
      '',
      'Duplicates are extra deliveries of an acknowledged effect: at-least-once delivery (SQS, SNS, S3 notifications, async invoke, stream mappings, a Lambda task in progress at the kill run again), which AWS allows for each of these. "Effects of unacknowledged calls": calls cut by the kill whose write was durable before the answer was lost, which AWS also allows.',
    ].join('\n'),
  };
}
