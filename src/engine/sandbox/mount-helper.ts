// A resident root helper (rootless: root of its own user namespace; Python: ctypes and netlink, which Node lacks) for two hot operations: binding code into a
// pre-started sandbox with direct mount(2) calls instead of several mount(8) processes, and finding the owner of a
// loopback connection with one exact sock_diag lookup instead of reading all of /proc/net/tcp.
import { spawn, type ChildProcess } from 'node:child_process';

/** One request per line in, one JSON reply per line out: {"id": n, "error": "…"|null}. */
const SCRIPT = String.raw`
import ctypes, json, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC = 1, 2, 4, 32, 4096, 8192, 16384
MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 18, 1 << 19, 1 << 20
# A mount namespace of our own (host mounts still propagate in, ours never out): every mount selfless makes lives
# here, and vanishes with the last process in it, even if selfless is killed with -9.
private = False
# Rootless: a user namespace of our own too, in which we are root (uid and gid 0 = ours outside), so the mounts
# below are allowed; sandboxes start inside it (nsenter --user --mount) and get their own user namespace under it.
if os.environ.get("SELFLESS_USERNS") == "1":
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(0x10000000 | 0x00020000) != 0:
        e = ctypes.get_errno(); sys.stdout.write(json.dumps({"id": 0, "fatal": "unshare: " + os.strerror(e)}) + "\n"); sys.exit(1)
    for f, text in (("setgroups", "deny"), ("uid_map", "0 %d 1" % uid), ("gid_map", "0 %d 1" % gid)):
        with open("/proc/self/" + f, "w") as fh: fh.write(text)
    private = libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None) == 0
elif os.environ.get("SELFLESS_PRIVATE_NS") == "1" and libc.unshare(0x00020000) == 0:
    private = libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None) == 0
def mount(src, dst, flags):
    if libc.mount(src.encode() if src else None, dst.encode(), None, flags, None) != 0:
        e = ctypes.get_errno(); raise OSError(e, "mount %s -> %s: %s" % (src, dst, os.strerror(e)))
USERNS = os.environ.get("SELFLESS_USERNS") == "1"
def kept(path):
    # In a user namespace a remount must keep the flags the host's mount has (they are locked): carry them over.
    if not USERNS: return 0
    f = os.statvfs(path).f_flag
    return (f & (2 | 4 | 8 | 1024 | 2048)) | ((1 << 21) if f & 4096 else 0)
def bind_ro(src, stage, point):
    os.makedirs(stage, exist_ok=True)
    try:
        mount(src, stage, MS_BIND | MS_REC)
        mount(None, stage, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept(stage))
        mount(stage, point, MS_MOVE)
    except Exception:
        libc.umount2(stage.encode(), 2)
        raise
    finally:
        try: os.rmdir(stage)
        except OSError: pass
diag = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
LOOPBACK = socket.inet_aton("127.0.0.1") + bytes(12)
def peer_uid(sport, dport):
    # inet_diag_req_v2 for the one TCP socket 127.0.0.1:sport -> 127.0.0.1:dport (an exact lookup, not a dump).
    sockid = struct.pack("!HH", sport, dport) + LOOPBACK + LOOPBACK + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)
    req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sockid
    diag.send(struct.pack("=IHHII", 16 + len(req), 20, 1, 1, 0) + req)
    data = diag.recv(65536)
    length, kind = struct.unpack_from("=IH", data, 0)
    if kind != 20 or length < 16 + 72: return None
    return struct.unpack_from("=II", data, 16 + 64)
# Rootless freezing: SIGSTOP to every process of a sandbox's PID namespace, listed by the sandbox's own /proc and
# signalled through pidfds (a /proc/<pid> directory fd), which stay open until the thaw: no pid can be mistaken.
import signal as sig
frozen = {}
def freeze(init, ns):
    for k in [k for k in frozen if not os.path.exists("/proc/%d" % k)]: thaw(k)
    if os.readlink("/proc/%d/ns/pid" % init) != ns: return
    base = "/proc/%d/root/proc" % init
    fds = frozen.setdefault(init, {})
    for _ in range(50):
        fresh = [n for n in os.listdir(base) if n.isdigit() and n not in fds]
        if not fresh: break
        for n in fresh:
            try: fd = os.open(base + "/" + n, os.O_RDONLY | os.O_DIRECTORY)
            except OSError: continue
            try: sig.pidfd_send_signal(fd, sig.SIGSTOP)
            except OSError: os.close(fd); continue
            fds[n] = fd
def thaw(init):
    for fd in frozen.pop(init, {}).values():
        try: sig.pidfd_send_signal(fd, sig.SIGCONT)
        except OSError: pass
        os.close(fd)
def self_bind(path, kind):
    mount(path, path, MS_BIND)
    mount(None, path, MS_SHARED if kind == "shared" else MS_PRIVATE)
def plain_ro(src, point):
    mount(src, point, MS_BIND | MS_REC)
    mount(None, point, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept(point))
for line in sys.stdin:
    req = json.loads(line)
    if "hello" in req:
        sys.stdout.write(json.dumps({"id": req["id"], "error": None, "private": private}) + "\n"); sys.stdout.flush()
        continue
    if "freeze" in req or "thaw" in req:
        try:
            if "freeze" in req: freeze(*req["freeze"])
            else: thaw(req["thaw"])
            err = None
        except Exception as e:
            err = str(e)
        sys.stdout.write(json.dumps({"id": req["id"], "error": err}) + "\n"); sys.stdout.flush()
        continue
    if "peer" in req:
        try: uid, inode = peer_uid(*req["peer"]) or (None, None)
        except Exception: uid, inode = None, None
        sys.stdout.write(json.dumps({"id": req["id"], "uid": uid, "inode": inode}) + "\n"); sys.stdout.flush()
        continue
    try:
        for path, kind in req.get("selfBinds", []): self_bind(path, kind)
        for src, point in req.get("plain", []): plain_ro(src, point)
        for src, stage, point in req.get("binds", []): bind_ro(src, stage, point)
        for point in req.get("detach", []): libc.umount2(point.encode(), 2)
        err = None
    except Exception as e:
        err = str(e)
    sys.stdout.write(json.dumps({"id": req["id"], "error": err}) + "\n"); sys.stdout.flush()
`;

interface Reply {
  error?: string | null;
  uid?: number | null;
  inode?: number | null;
  private?: boolean;
}

export class MountHelper {
  private seq = 0;
  private readonly waiting = new Map<number, (r: Reply) => void>();
  private buf = '';

  private constructor(private readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (c: string) => {
      this.buf += c;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        try {
          const r = JSON.parse(line) as Reply & { id: number };
          this.waiting.get(r.id)?.(r);
          this.waiting.delete(r.id);
        } catch {
          /* not ours */
        }
      }
    });
    const fail = (): void => {
      for (const w of this.waiting.values()) w({ error: 'the mount helper exited', uid: null });
      this.waiting.clear();
    };
    proc.on('exit', fail);
    proc.on('error', fail);
    proc.stdin!.on('error', () => undefined);
  }

  /** Starts the helper with this Python; resolves undefined when it cannot run (the caller falls back to mount(8)). */
  /** Whether the helper's mounts live in a mount namespace of its own (sandboxes must then start inside it). */
  private: boolean = false;

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** Whether the helper runs in a user namespace of its own (rootless): sandboxes must enter that one too. */
  userns = false;

  static async start(python: string, privateNamespace = true, userNamespace = false): Promise<MountHelper | undefined> {
    const proc = spawn(python, ['-u', '-c', SCRIPT], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: '/usr/bin:/bin', SELFLESS_PRIVATE_NS: privateNamespace ? '1' : '0', SELFLESS_USERNS: userNamespace ? '1' : '0' },
    });
    proc.on('error', () => undefined);
    const h = new MountHelper(proc);
    // A round trip proves it runs and says whether it has its own mount namespace.
    const hello = await Promise.race([h.request({ hello: true }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000).unref())]);
    if (!hello || hello.error) {
      proc.kill('SIGKILL');
      return undefined;
    }
    h.private = hello.private === true;
    h.userns = userNamespace;
    return h;
  }

  /** Self-binds a directory as a shared or private mount point, and binds directories read-only (plain). */
  async setup(selfBinds: [string, 'shared' | 'private'][], plain: [string, string][]): Promise<void> {
    const r = await this.request({ selfBinds, plain });
    if (r.error) throw new Error(r.error);
  }

  /** Read-only binds (source → staged → moved onto point) and lazy unmounts; resolves with an error text or null. */
  call(binds: [string, string, string][], detach: string[]): Promise<string | null> {
    return this.request({ binds, detach }).then((r) => r.error ?? null);
  }

  /** The uid owning the loopback socket 127.0.0.1:`peerPort` → 127.0.0.1:`ourPort`, or undefined. */
  peerUid(peerPort: number, ourPort: number): Promise<number | undefined> {
    return this.peer(peerPort, ourPort).then((r) => r?.uid);
  }

  /** The owning uid and inode of that socket, or undefined. */
  peer(peerPort: number, ourPort: number): Promise<{ uid: number; inode: number } | undefined> {
    return this.request({ peer: [peerPort, ourPort] }).then((r) => (typeof r.uid === 'number' && typeof r.inode === 'number' ? { uid: r.uid, inode: r.inode } : undefined));
  }

  /** Rootless: stops every process of the sandbox whose init has this host pid (and PID namespace), until `thaw`. */
  async freeze(initPid: number, ns: string): Promise<void> {
    const r = await this.request({ freeze: [initPid, ns] });
    if (r.error) throw new Error(r.error);
  }

  async thaw(initPid: number): Promise<void> {
    const r = await this.request({ thaw: initPid });
    if (r.error) throw new Error(r.error);
  }

  private request(body: object): Promise<Reply> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return Promise.resolve({ error: 'the mount helper exited', uid: null });
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.proc.stdin!.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  close(): void {
    this.proc.stdin!.end();
    this.proc.kill('SIGKILL');
  }
}
