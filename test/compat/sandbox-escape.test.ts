// Escape tests: hostile functions try to break out of the sandbox; every attempt must fail while the platform keeps
// serving other functions. Sandbox mode only (the process mode makes no such promise; docs/security.md says so), run
// as root and rootless (the server started as an unprivileged user); what rootless cannot contain is a skip saying so.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { release } from 'node:os';
import { nprocPerUserNamespace } from '../../src/engine/sandbox/rootless.js';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { createFunction, lambdaClient } from '../helpers/lambda.js';
import { removeDir } from '../helpers/server.js';
import { countInNamespace, environmentNamespace, fixture, startRootlessDelegated, invoke, json, logOf, sandboxedPids, shell, startInMode, text, type Mode, type ModeServer } from '../helpers/isolation.js';

const SH = 'escape-sh';
const NODE = 'escape-node';
const HEALTHY = 'escape-healthy';

const MODES: Mode[] = ['sandbox', 'rootless'];

/** The host's processes running as `uid` (from /proc; a process gone while read is skipped). */
function pidsOfUid(uid: number): string[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(readFileSync(`/proc/${n}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
}

for (const mode of MODES) describe(`escape (${mode === 'sandbox' ? 'root' : 'rootless'})`, () => {
  const rootless = mode === 'rootless';
  let s: ModeServer;
  let client: LambdaClient;

  before(async () => {
    s = await startInMode(mode);
    if (!s.server) return;
    client = lambdaClient(s.server.url);
    await createFunction(client, SH, { bootstrap: fixture('hostile-shell', 'bootstrap') }, { runtime: 'provided.al2023', handler: 'x', timeout: 60 });
    await createFunction(client, NODE, { 'index.js': fixture('hostile-node', 'index.js') }, { memory: 128, timeout: 30 });
    await createFunction(client, HEALTHY, { 'index.js': 'exports.handler = async (e) => ({ healthy: true, e });' });
  });
  after(async () => {
    if (!s.server) return;
    await s.server.stop();
    removeDir(s.server.dataDir);
  });

  /** The platform still serves another function, and the server process is alive. */
  async function platformHealthy(): Promise<void> {
    const r = await invoke(client, HEALTHY, { n: 1 });
    assert.deepEqual(json(r.Payload), { healthy: true, e: { n: 1 } });
    assert.equal(s.server!.proc.exitCode, null, 'the server is still running');
  }

  test('Escape: the data dir, other functions’ code, /root and /etc/shadow are not visible', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const data = s.server!.dataDir;
    const codeDirs = readdirSync(data, { recursive: true, withFileTypes: true }).filter((d) => d.name === 'index.js').map((d) => `${d.parentPath ?? d.path}/index.js`);
    assert.ok(codeDirs.length > 0, 'the other functions’ code exists on the host');
    const script = [
      `ls -la '${data}' && echo DATA-VISIBLE`,
      ...codeDirs.map((f) => `cat '${f}' && echo CODE-VISIBLE`),
      'cat /etc/shadow && echo SHADOW-VISIBLE',
      'ls -A /root | grep . && echo ROOT-LISTED',
      'ls /work 2>/dev/null && echo WORK-VISIBLE',
      `find / -xdev -name '*.sqlite*' 2>/dev/null | grep . && echo DB-VISIBLE`,
      'echo done',
    ].join('\n');
    const r = await shell(client, SH, script);
    assert.equal(r.error, undefined);
    assert.match(r.out, /done/);
    for (const leak of ['DATA-VISIBLE', 'CODE-VISIBLE', 'SHADOW-VISIBLE', 'ROOT-LISTED', 'WORK-VISIBLE', 'DB-VISIBLE']) assert.doesNotMatch(r.out, new RegExp(leak), r.out);
    await platformHealthy();
  });

  test('Escape: another environment’s /tmp is not visible', async (t) => {
    if (s.skip) return t.skip(s.skip);
    await createFunction(client, 'escape-victim', { bootstrap: fixture('hostile-shell', 'bootstrap') }, { runtime: 'provided.al2023', handler: 'x' });
    const marker = `victim-secret-${process.pid}`;
    assert.equal((await shell(client, 'escape-victim', `echo s3cr3t > /tmp/${marker} && ls /tmp/${marker}`)).code, 0);
    const r = await shell(client, SH, `find / \\( -path /proc -o -path /sys \\) -prune -o -name '${marker}*' -print 2>/dev/null; grep -rs s3cr3t /tmp /var /opt 2>/dev/null; echo searched`);
    assert.doesNotMatch(r.out, new RegExp(marker));
    assert.doesNotMatch(r.out, /s3cr3t/);
    assert.match(r.out, /searched/);
  });

  test('Escape: /var/task, /opt and the system directories are read-only; /tmp is writable', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = await shell(
      client,
      SH,
      ['/var/task', '/opt', '/usr', '/usr/bin', '/etc', '/var/runtime', '/', '/var', '/var/tmp', '/dev', '/dev/shm'].map((d) => `touch ${d}/pwned 2>/dev/null && echo WROTE:${d}`).join('\n') +
        '\necho 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo WROTE:/proc/sys' +
        '\ntouch /tmp/ok && echo TMP-OK\nid -u',
    );
    assert.doesNotMatch(r.out, /WROTE:/, r.out);
    assert.match(r.out, /TMP-OK/);
    assert.notEqual(r.out.trim().split('\n').pop(), '0', 'the function does not run as root');
  });

  test('Escape: code bound into a pre-started sandbox is read-only too', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = json((await invoke(client, NODE, { action: 'write' })).Payload) as Record<string, string>;
    assert.equal(r['/tmp/ok'], 'written');
    for (const f of ['/var/task/pwned', '/opt/pwned', '/var/runtime/pwned']) assert.match(r[f] ?? '', /^(EROFS|EACCES)$/, `${f}: ${r[f]}`);
  });

  test('Escape: no capabilities and no_new_privs inside the sandbox', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = await shell(client, SH, 'grep -E "^(CapEff|CapPrm|CapBnd|NoNewPrivs)" /proc/self/status');
    assert.match(r.out, /CapEff:\s+0{16}/);
    assert.match(r.out, /CapPrm:\s+0{16}/);
    assert.match(r.out, /CapBnd:\s+0{16}/);
    assert.match(r.out, /NoNewPrivs:\s+1/);
    if (rootless) {
      // Its user namespace is the last one: no nested namespace in which it would regain capabilities.
      const nested = await shell(client, SH, 'unshare --user --map-root-user id -u 2>&1 || echo NO-USERNS');
      assert.match(nested.out, /NO-USERNS/, nested.out);
    }
  });

  test('Escape: allocating 3× the memory size kills the environment with AWS’s error; the platform keeps serving', async (t) => {
    if (s.skip) return t.skip(s.skip);
    if (rootless) return t.skip('not contained this way rootless: without a cgroup the limit is RLIMIT_DATA per process, so the allocation fails inside the function instead of a kill (see the next test and docs/security.md)');
    const r = await invoke(client, NODE, { action: 'alloc', mb: 3 * 128 }, true);
    assert.equal(r.FunctionError, 'Unhandled');
    const body = json(r.Payload);
    assert.equal(body.errorType, 'Runtime.OutOfMemory', text(r.Payload));
    assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$/);
    assert.match(logOf(r), /Max Memory Used: 12[0-9] MB/);
    await platformHealthy();
    assert.deepEqual(json((await invoke(client, NODE, { action: 'ticks' })).Payload).ticks >= 0, true, 'a fresh environment serves the function');
  });

  test('Escape (rootless): allocating 3× the memory size is stopped at its data limit (the allocation fails, or the runtime aborts); the platform keeps serving', async (t) => {
    if (s.skip) return t.skip(s.skip);
    if (!rootless) return t.skip('root mode: the cgroup kills the environment instead (previous test)');
    const r = await invoke(client, NODE, { action: 'alloc', mb: 3 * 128 }, true);
    assert.equal(r.FunctionError, 'Unhandled', text(r.Payload));
    // Where the last 16 MB buffer lands against the limit decides which: the allocation fails inside the function, or
    // V8 cannot grow its own heap afterwards and aborts the runtime (AWS's Runtime.OutOfMemory). Either way the limit held.
    const body = json(r.Payload);
    if (body.errorType === 'Runtime.OutOfMemory') assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: aborted$/);
    else assert.match(body.errorMessage, /Array buffer allocation failed/, text(r.Payload));
    const used = Number(/Max Memory Used: (\d+) MB/.exec(logOf(r))?.[1]);
    // An aborted runtime's peak cannot be read rootless (its /proc is gone before REPORT is written): it shows 0.
    const aborted = body.errorType === 'Runtime.OutOfMemory';
    assert.ok((aborted || used > 0) && used <= 128, `Max Memory Used ${used} MB\n${logOf(r)}`);
    await platformHealthy();
  });

  test('Escape: spawning 2,000 processes stops at the 1,024 process limit; the platform keeps serving', async (t) => {
    if (s.skip) return t.skip(s.skip);
    if (rootless && !nprocPerUserNamespace()) return t.skip(`not contained rootless on this kernel (${release()}): RLIMIT_NPROC counts per user namespace only from Linux 5.14, so no process limit is set`);
    // Enough memory that the process limit, not the memory limit, is what stops it.
    await createFunction(client, 'escape-fork', { 'index.js': fixture('hostile-node', 'index.js') }, { memory: 2048, timeout: 30 });
    const r = json((await invoke(client, 'escape-fork', { action: 'fork', n: 2000 })).Payload);
    assert.ok(r.running < 1024, `running ${r.running}`);
    assert.ok(r.failed > 0, 'some spawns failed');
    await platformHealthy();
  });

  test('Escape: opening 5,000 files stops at the 1,024 open-file limit', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = json((await invoke(client, NODE, { action: 'files', n: 5000 })).Payload);
    assert.equal(r.error, 'EMFILE');
    assert.ok(r.opened < 1024);
    await platformHealthy();
  });

  test('Escape: a function cannot signal the platform’s process; kill -9 -1 only ends its own environment', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const pid = s.server!.proc.pid!;
    const r = await shell(client, SH, `kill -9 ${pid} 2>&1 || echo KILL-FAILED; ps -eo pid,comm --no-headers | wc -l; ls /proc | grep -c '^[0-9]'`);
    assert.match(r.out, /KILL-FAILED/);
    // It sees only its own few processes (bwrap's init, the bootstrap, the shell, ps…), not the host's.
    const count = Number(r.out.trim().split('\n').pop());
    assert.ok(count < 10, `visible processes: ${count}`);
    const hostProcs = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    assert.ok(hostProcs > count);
    const suicide = await shell(client, SH, 'kill -9 -1; sleep 5');
    assert.match(suicide.error ?? '', /Runtime exited with error/);
    await platformHealthy();
    assert.equal((await shell(client, SH, 'echo again')).out.trim(), 'again');
  });

  test('Escape: one environment can neither read nor answer another environment’s Runtime API', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const victim = json((await invoke(client, NODE, { action: 'whoami' })).Payload) as { runtimeApi: string; uid: number };
    assert.match(victim.runtimeApi, /^127\.0\.0\.1:\d+$/);
    const api = `http://${victim.runtimeApi}/2018-06-01/runtime`;
    const r = await shell(
      client,
      SH,
      [
        `curl -sS --max-time 3 ${api}/invocation/next && echo READ-NEXT`,
        `curl -sS --max-time 3 -X POST -d '"forged"' ${api}/invocation/x/response && echo ANSWERED`,
        `curl -sS --max-time 3 -X POST -d '{}' ${api}/init/error && echo INIT-ERROR`,
        'echo tried',
      ].join('\n'),
    );
    assert.match(r.out, /tried/);
    assert.doesNotMatch(r.out, /READ-NEXT|ANSWERED|INIT-ERROR/, r.out);
    // The victim's environment is untouched and still serves its own invocations.
    const again = json((await invoke(client, NODE, { action: 'whoami' })).Payload);
    assert.equal(again.runtimeApi, victim.runtimeApi);
    assert.equal(again.uid, victim.uid);
  });

  test('Escape: a host process (not in any environment) cannot speak to an environment’s Runtime API', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const victim = json((await invoke(client, NODE, { action: 'whoami' })).Payload) as { runtimeApi: string };
    // Rootless, the server's own user is the same uid the environments run as; run curl as that user too.
    const as = rootless ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = spawnSync(as[0] ?? '/usr/bin/curl', [...as.slice(1), ...(as.length ? ['/usr/bin/curl'] : []), '-sS', '--max-time', '3', `http://${victim.runtimeApi}/2018-06-01/runtime/invocation/next`], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, `curl got an answer: ${r.stdout}`);
    assert.equal(r.stdout, '');
    assert.equal(json((await invoke(client, NODE, { action: 'whoami' })).Payload).runtimeApi, victim.runtimeApi, 'the environment still serves');
  });

  test('Freeze: an idle environment is frozen, so its timers do not advance between invocations', async (t) => {
    if (s.skip) return t.skip(s.skip);
    await createFunction(client, 'escape-ticks', { 'index.js': fixture('hostile-node', 'index.js') });
    await invoke(client, 'escape-ticks', { action: 'ticks' });
    const before = json((await invoke(client, 'escape-ticks', { action: 'ticks' })).Payload).ticks as number;
    await new Promise((r) => setTimeout(r, 1000));
    const afterIdle = json((await invoke(client, 'escape-ticks', { action: 'ticks' })).Payload).ticks as number;
    // A 10 ms interval left running for a second would tick ~100 times; frozen, it barely moves.
    assert.ok(afterIdle - before < 20, `ticks advanced by ${afterIdle - before} while idle`);
  });

  test('Freeze: an environment with nothing left to run is not frozen, while one with an unref\'d timer is', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const server = await startInMode(mode);
    const dir = `/sys/fs/cgroup/freezer/selfless-${server.server!.proc.pid}`;
    try {
      if (!rootless && !existsSync(dir)) return t.skip('reads cgroup v1 freezer states; this host has no v1 freezer hierarchy for selfless');
      const c = lambdaClient(server.server!.url);
      await createFunction(c, 'quiet', { 'index.js': 'exports.handler = async (e) => ({ quiet: e.n });' });
      await createFunction(c, 'ticking', { 'index.js': fixture('hostile-node', 'index.js') });
      // Rootless: an environment is frozen when its processes are stopped (SIGSTOP); counted per PID namespace.
      const stoppedNamespaces = (): number =>
        new Set(
          sandboxedPids(server.server!.proc.pid!)
            .filter((p) => {
              try {
                return /^State:\s+T/m.test(readFileSync(`/proc/${p}/status`, 'utf8'));
              } catch {
                return false;
              }
            })
            .map((p) => readlinkSync(`/proc/${p}/ns/pid`)),
        ).size;
      const frozen = (): number =>
        rootless
          ? stoppedNamespaces()
          : readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && readFileSync(`${dir}/${d.name}/freezer.state`, 'utf8').trim() === 'FROZEN').length;
      // On a busy host a runtime may not have reached its idle wait when it is looked at, and is then frozen after
      // all (the safe way): each round invokes both again, and one clean round is what the rule promises.
      let n = 0;
      for (let round = 0; round < 3 && n !== 1; round++) {
        assert.deepEqual(json((await invoke(c, 'quiet', { n: 1 })).Payload), { quiet: 1 });
        await invoke(c, 'ticking', { action: 'ticks' });
        for (let i = 0; i < 20 && frozen() < 1; i++) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 200));
        n = frozen();
      }
      assert.equal(n, 1, 'only the environment with a timer is frozen');
      assert.deepEqual(json((await invoke(c, 'quiet', { n: 2 })).Payload), { quiet: 2 });
    } finally {
      await server.server!.stop();
      removeDir(server.server!.dataDir);
    }
  });

  test('Freeze: frozen idle environments are reaped, their processes and cgroups gone', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const reaper = await startInMode(mode, ['--idle-timeout', '1']);
    const c = lambdaClient(reaper.server!.url);
    try {
      await createFunction(c, 'reaped', { 'index.js': fixture('hostile-node', 'index.js') });
      const first = json((await invoke(c, 'reaped', { action: 'whoami' })).Payload) as { uid: number; runtimeApi: string };
      // Rootless environments share the server's uid: this one is the PID namespace its runtime runs in.
      const ns = rootless ? environmentNamespace(reaper.server!.proc.pid!, first.runtimeApi) : undefined;
      if (rootless) assert.ok(ns, 'the environment’s runtime is found on the host');
      const owned = (): number =>
        rootless
          ? countInNamespace(ns!)
          : readdirSync('/proc')
              .filter((n) => /^\d+$/.test(n))
              .filter((n) => {
                try {
                  return new RegExp(`^Uid:\\s+${first.uid}\\s`, 'm').test(readFileSync(`/proc/${n}/status`, 'utf8'));
                } catch {
                  return false;
                }
              }).length;
      assert.ok(owned() > 0, rootless ? 'the environment runs in its own PID namespace' : 'the environment runs as its own uid');
      let left = owned();
      for (let i = 0; i < 50 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        left = owned();
      }
      assert.equal(left, 0, 'the reaped environment left no process behind');
      const next = await invoke(c, 'reaped', { action: 'whoami' }, true);
      assert.match(logOf(next), /Init Duration/, 'the next invoke is a cold start');
    } finally {
      await reaper.server!.stop();
      removeDir(reaper.server!.dataDir);
    }
  });

  test('Network: functions reach the network (this endpoint) by default; SELFLESS_NETWORK=none leaves loopback only, and the Runtime API still works', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const probe = 'curl -sS -o /dev/null -w "%{http_code}" --max-time 3 "$AWS_ENDPOINT_URL/2015-03-31/functions" && echo " REACHED"; echo; ls /sys/class/net 2>/dev/null; cat /proc/net/dev | tail -n +3 | cut -d: -f1';
    const open = await shell(client, SH, probe);
    assert.match(open.out, /REACHED/, open.out);
    await createFunction(client, 'escape-offline', { bootstrap: fixture('hostile-shell', 'bootstrap') }, { runtime: 'provided.al2023', handler: 'x', env: { SELFLESS_NETWORK: 'none' } });
    const closed = await shell(client, 'escape-offline', probe);
    assert.equal(closed.error, undefined, 'the offline function still answers through its Runtime API');
    assert.doesNotMatch(closed.out, /REACHED/, closed.out);
    const ifaces = closed.out.split('\n').map((l) => l.trim()).filter((l) => /^[a-z][a-z0-9]*$/.test(l));
    assert.deepEqual([...new Set(ifaces)], ['lo'], closed.out);
    assert.equal((await shell(client, 'escape-offline', 'echo warm')).out.trim(), 'warm');
  });

  test('Sandbox: a selfless killed with -9 leaves no mounts on the host; its environments (even frozen ones) are gone once it starts again', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const first = await startInMode(mode);
    const c = lambdaClient(first.server!.url);
    await createFunction(c, 'orphan', { 'index.js': fixture('hostile-node', 'index.js') });
    const { uid } = json((await invoke(c, 'orphan', { action: 'whoami' })).Payload) as { uid: number };
    await new Promise((r) => setTimeout(r, 100)); // idle long enough to be frozen
    const startTime = (p: number): string | undefined => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      } catch {
        return undefined;
      }
    };
    const sandboxed = rootless ? sandboxedPids(first.server!.proc.pid!).map((p) => [p, startTime(p)] as const) : [];
    if (rootless) assert.ok(sandboxed.length > 0, 'the environment runs in its own PID namespace');
    await first.server!.stop('SIGKILL');
    // Its mounts lived in the helper's own mount namespace: nothing of the data dir is mounted on the host.
    assert.doesNotMatch(readFileSync('/proc/self/mountinfo', 'utf8'), new RegExp(first.server!.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const owned = (): number =>
      rootless
        ? sandboxed.filter(([p, t]) => startTime(p) === t).length
        : pidsOfUid(uid).length;
    const second = await startInMode(mode, [], first.server!.dataDir);
    try {
      let left = owned();
      for (let i = 0; i < 25 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        left = owned();
      }
      assert.equal(left, 0, 'no process of the killed server’s environment survives the restart');
    } finally {
      await second.server!.stop();
      removeDir(first.server!.dataDir);
    }
  });

  test('Resources (rootless): without a cgroup the environment has RLIMIT_NPROC 1,024, RLIMIT_NOFILE 1,024 and RLIMIT_DATA = MemorySize', async (t) => {
    if (s.skip) return t.skip(s.skip);
    if (!rootless) return t.skip('root mode uses the cgroup (next test)');
    if (/delegated cgroup/.test(s.server!.output())) return t.skip('this rootless server found a delegated cgroup: the cgroup test applies');
    await createFunction(client, 'escape-rlimits', { bootstrap: fixture('hostile-shell', 'bootstrap') }, { runtime: 'provided.al2023', handler: 'x', memory: 512 });
    const r = await shell(client, 'escape-rlimits', 'cat /proc/self/limits');
    assert.match(r.out, /^Max processes\s+1024\s+1024\s/m, r.out);
    assert.match(r.out, /^Max open files\s+1024\s+1024\s/m, r.out);
    assert.match(r.out, new RegExp(`^Max data size\\s+${512 * 1048576}\\s+${512 * 1048576}\\s`, 'm'), r.out);
  });

  test('Resources: the environment’s cgroup has memory = MemorySize, 1,024 pids and a CPU weight proportional to memory', async (t) => {
    if (s.skip) return t.skip(s.skip);
    if (rootless && !/delegated cgroup/.test(s.server!.output())) return t.skip('rootless without a delegated cgroup: no per-environment cgroup (memory, CPU weight) exists; the rlimits above apply');
    await createFunction(client, 'escape-limits', { 'index.js': fixture('hostile-node', 'index.js') }, { memory: 512 });
    const { uid } = json((await invoke(client, 'escape-limits', { action: 'whoami' })).Payload) as { uid: number };
    const pid = pidsOfUid(uid)[0];
    assert.ok(pid, 'the environment’s process is visible on the host');
    const groups = new Map(
      readFileSync(`/proc/${pid}/cgroup`, 'utf8')
        .trim()
        .split('\n')
        .flatMap((l) => {
          const [, ctrls, path] = /^\d+:([^:]*):(.*)$/.exec(l) ?? [];
          return (ctrls ?? '').split(',').map((c) => [c, path ?? ''] as const);
        }),
    );
    const read = (file: string): string => readFileSync(file, 'utf8').trim();
    if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
      const dir = `/sys/fs/cgroup${groups.get('')}`;
      assert.equal(read(`${dir}/memory.max`), String(512 * 1024 * 1024));
      assert.equal(read(`${dir}/pids.max`), '1024');
      assert.equal(read(`${dir}/cpu.weight`), String(Math.round((100 * 512) / 1769)));
    } else {
      assert.equal(read(`/sys/fs/cgroup/memory${groups.get('memory')}/memory.limit_in_bytes`), String(512 * 1024 * 1024));
      assert.equal(read(`/sys/fs/cgroup/pids${groups.get('pids')}/pids.max`), '1024');
      assert.equal(read(`/sys/fs/cgroup/cpu${groups.get('cpu')}/cpu.shares`), String(Math.round((1024 * 512) / 1769)));
    }
  });
});

test('Escape (rootless in a delegated cgroup): allocating 3× the memory size kills the environment with AWS’s error; its cgroup has the limits', async (t) => {
  const d = await startRootlessDelegated();
  if (!d.server) return t.skip(d.skip);
  try {
    assert.match(d.server.output(), /rootless: user namespaces, in a delegated cgroup/);
    const c = lambdaClient(d.server.url);
    await createFunction(c, 'delegated', { 'index.js': fixture('hostile-node', 'index.js') }, { memory: 128, timeout: 30 });
    const who = json((await invoke(c, 'delegated', { action: 'whoami' })).Payload) as { runtimeApi: string };
    const ns = environmentNamespace(d.server.proc.pid!, who.runtimeApi);
    const pid = readdirSync('/proc').find((n) => /^\d+$/.test(n) && (() => { try { return readlinkSync(`/proc/${n}/ns/pid`) === ns; } catch { return false; } })());
    assert.ok(pid, 'the environment is found on the host');
    const memory = /^\d+:memory:(.*)$/m.exec(readFileSync(`/proc/${pid}/cgroup`, 'utf8'))?.[1];
    assert.match(memory ?? '', /selfless-delegated-\d+\/selfless-\d+\/[0-9a-f]+$/);
    assert.equal(readFileSync(`/sys/fs/cgroup/memory${memory}/memory.limit_in_bytes`, 'utf8').trim(), String(128 * 1048576));
    const r = await invoke(c, 'delegated', { action: 'alloc', mb: 3 * 128 }, true);
    const body = json(r.Payload);
    assert.equal(body.errorType, 'Runtime.OutOfMemory', text(r.Payload));
    assert.match(body.errorMessage, /Runtime exited with error: signal: killed$/);
    assert.ok(json((await invoke(c, 'delegated', { action: 'ticks' })).Payload).ticks >= 0, 'a fresh environment serves the function');
  } finally {
    await d.server.stop();
    removeDir(d.server.dataDir);
    d.cleanup?.();
  }
});
