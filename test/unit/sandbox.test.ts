// Unit tests for the sandbox's pure parts: peer lookup in /proc/net/tcp, cgroup parsing and CPU weights, the freezer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuWeight, ownCgroups } from '../../src/engine/sandbox/cgroup.js';
import { Freezer } from '../../src/engine/sandbox/freezer.js';
import { peerSocket, peerUid } from '../../src/engine/sandbox/peer.js';
import { EnvironmentProcesses, nprocPerUserNamespace, pidNamespaceOf } from '../../src/engine/sandbox/rootless.js';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1604 1 0 100 0 0 10 0
   1: 0100007F:AE3C 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 200000007        0 1700 1 0 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:AE3C 01 00000000:00000000 00:00000000 00000000     0        0 1701 1 0 20 4 30 10 -1
   3: 0100007F:AE3D 0100007F:2000 01 00000000:00000000 00:00000000 00000000 200000009        0 1702 1 0 20 4 30 10 -1
`;

test('Sandbox peer: the uid of a loopback peer is read from the socket whose local end is the peer', () => {
  assert.equal(peerUid(TABLE, 0xae3c, 0x1f90), 200000007);
  // Same peer port towards another listener is a different connection.
  assert.equal(peerUid(TABLE, 0xae3d, 0x1f90), undefined);
  assert.equal(peerUid(TABLE, 0xae3d, 0x2000), 200000009);
  // The listener's side of the same connection belongs to the platform (root), not to the function.
  assert.equal(peerUid(TABLE, 0x1f90, 0xae3c), 0);
  assert.equal(peerUid(TABLE, 1234, 0x1f90), undefined);
});

test('Sandbox cgroups: own cgroup paths are parsed per v1 controller and for v2', () => {
  const own = ownCgroups('12:pids:/a\n4:memory:/process_api/x\n3:cpu,cpuacct:/b\n0::/user.slice\n');
  assert.equal(own.get('pids'), '/a');
  assert.equal(own.get('memory'), '/process_api/x');
  assert.equal(own.get('cpu'), '/b');
  assert.equal(own.get('cpuacct'), '/b');
  assert.equal(own.get(''), '/user.slice');
});

test('Sandbox cgroups: CPU share is proportional to memory, 1,769 MB = one full share', () => {
  assert.equal(cpuWeight(1769, 2), 100);
  assert.equal(cpuWeight(1769, 1), 1024);
  assert.equal(cpuWeight(128, 2), 7);
  assert.equal(cpuWeight(128, 1), 74);
  assert.equal(cpuWeight(10240, 2), 579);
  assert.equal(cpuWeight(1, 2), 1);
  assert.equal(cpuWeight(1, 1), 2);
});

class FakeCgroup {
  readonly ops: string[] = [];
  async freeze(): Promise<void> {
    this.ops.push('freeze');
  }
  async thaw(): Promise<void> {
    this.ops.push('thaw');
  }
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('Sandbox freezer: an environment idle past the grace is frozen, and thawed before it runs again', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg);
  const frozen = f.freeze();
  assert.deepEqual(cg.ops, [], 'nothing is written synchronously');
  await frozen;
  assert.equal(f.current, 'frozen');
  await f.thaw();
  assert.deepEqual(cg.ops, ['freeze', 'thaw']);
  assert.equal(f.current, 'thawed');
});

test('Sandbox freezer: a thaw right after going idle cancels the freeze (back-to-back invokes pay nothing)', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg);
  const frozen = f.freeze();
  await f.thaw();
  await frozen;
  await turn();
  assert.deepEqual(cg.ops, []);
  assert.equal(f.current, 'thawed');
});

test('Sandbox freezer: a thaw never overtakes the freeze it undoes', async () => {
  const order: string[] = [];
  let release!: () => void;
  const f = new Freezer(
    {
      freeze: () => new Promise<void>((r) => (release = () => (order.push('freeze'), r()))),
      thaw: async () => void order.push('thaw'),
    },
    0,
  );
  void f.freeze();
  await new Promise((r) => setTimeout(r, 5));
  const thawed = f.thaw();
  await turn();
  assert.deepEqual(order, []);
  release();
  await thawed;
  assert.deepEqual(order, ['freeze', 'thaw']);
});

test('Sandbox freezer: a disposed environment is never frozen afterwards', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg, 0);
  const pending = f.freeze();
  f.dispose();
  await pending;
  await f.freeze();
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(cg.ops, []);
});

test('Sandbox peer: the inode of a loopback peer socket is read with its uid (rootless tells environments apart by it)', () => {
  assert.deepEqual(peerSocket(TABLE, 0xae3c, 0x1f90), { uid: 200000007, inode: 1700 });
  assert.deepEqual(peerSocket(TABLE, 0xae3d, 0x2000), { uid: 200000009, inode: 1702 });
  assert.equal(peerSocket(TABLE, 0xae3d, 0x1f90), undefined);
});

test('Sandbox rootless: RLIMIT_NPROC is set per environment only on kernels that count it per user namespace (5.14+)', () => {
  assert.equal(nprocPerUserNamespace('6.18.44-fc-v782'), true);
  assert.equal(nprocPerUserNamespace('5.14.0-362.el9.x86_64'), true);
  assert.equal(nprocPerUserNamespace('5.10.0-28-amd64'), false);
  assert.equal(nprocPerUserNamespace('4.19.0'), false);
  assert.equal(nprocPerUserNamespace('weird'), false);
});

test('Sandbox freezer: an environment with nothing that could run is left running, and its thaw writes nothing', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg, 0);
  await f.freeze(async () => true);
  assert.equal(f.current, 'thawed');
  await f.thaw();
  assert.deepEqual(cg.ops, []);
});

test('Sandbox freezer: an environment that could still run something is frozen, even when its runtime said it was quiet', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg, 0);
  await f.freeze(async () => false);
  assert.equal(f.current, 'frozen');
  await f.freeze(async () => {
    throw new Error('cannot tell');
  });
  await f.thaw();
  await f.freeze(async () => {
    throw new Error('cannot tell');
  });
  assert.deepEqual(cg.ops, ['freeze', 'thaw', 'freeze']);
});

test('Sandbox rootless: an environment’s processes are read through its own /proc; only a socket one of them holds counts as its own', async (t) => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) return t.skip('needs root and unshare(1) to make a PID namespace');
  const server = createServer((c) => c.on('error', () => undefined));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  // A process in a PID namespace of its own (with its own /proc), holding one connection open.
  const inner = spawn('/usr/bin/unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, '-e', `require('net').connect(${port}, '127.0.0.1', () => console.log('connected')); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const outside = connect(port, '127.0.0.1');
  let init = 0;
  try {
    await new Promise<void>((r) => inner.stdout!.once('data', () => r()));
    await new Promise<void>((r) => (outside.readyState === 'open' ? r() : outside.once('connect', () => r())));
    // unshare forks: its child is the namespace's init.
    init = Number(
      readdirSync('/proc').find((n) => {
        try {
          return /^\d+$/.test(n) && readFileSync(`/proc/${n}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(inner.pid);
        } catch {
          return false;
        }
      }),
    );
    const ns = pidNamespaceOf(init)!;
    assert.notEqual(ns, pidNamespaceOf(process.pid));
    const env = new EnvironmentProcesses(init, ns);
    assert.deepEqual(env.pids(), ['1'], 'only the namespace’s own process is listed');
    const table = readFileSync('/proc/net/tcp', 'latin1');
    const theirs = [...table.matchAll(new RegExp(`0100007F:([0-9A-F]{4}) 0100007F:${port.toString(16).toUpperCase().padStart(4, '0')} 01`, 'g'))].map((m) => peerSocket(table, parseInt(m[1]!, 16), port)!);
    assert.equal(theirs.length, 2, 'both connections are listed');
    const mine = peerSocket(table, outside.localPort!, port)!;
    assert.equal(env.holdsSocket(mine.inode), false, 'a socket held outside the namespace is not the environment’s');
    const other = theirs.find((x) => x.inode !== mine.inode)!;
    assert.equal(env.holdsSocket(other.inode), true, 'the socket its process holds is');
    assert.ok(env.peakMB() > 0);
    process.kill(init, 'SIGKILL');
    for (let i = 0; i < 50 && pidNamespaceOf(init) !== undefined; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(env.pids(), [], 'a gone environment lists nothing');
    assert.equal(env.holdsSocket(other.inode), false);
  } finally {
    if (init > 0) {
      try {
        process.kill(init, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    inner.kill('SIGKILL');
    outside.destroy();
    server.close();
    server.unref();
  }
});

test('Sandbox freezer: an environment disposed while the idle check runs is not frozen', async () => {
  const cg = new FakeCgroup();
  const f = new Freezer(cg, 0);
  let answer!: (v: boolean) => void;
  const pending = f.freeze(() => new Promise<boolean>((r) => (answer = r)));
  await new Promise((r) => setTimeout(r, 5));
  f.dispose();
  answer(false);
  await pending;
  await turn();
  assert.deepEqual(cg.ops, []);
});
