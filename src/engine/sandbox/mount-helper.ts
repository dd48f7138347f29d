// A resident root helper (Python: ctypes and netlink, which Node lacks) for two hot operations: binding code into a
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
def mount(src, dst, flags):
    if libc.mount(src.encode() if src else None, dst.encode(), None, flags, None) != 0:
        e = ctypes.get_errno(); raise OSError(e, "mount %s -> %s: %s" % (src, dst, os.strerror(e)))
def bind_ro(src, stage, point):
    os.makedirs(stage, exist_ok=True)
    try:
        mount(src, stage, MS_BIND | MS_REC)
        mount(None, stage, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
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
    return struct.unpack_from("=I", data, 16 + 64)[0]
for line in sys.stdin:
    req = json.loads(line)
    if "peer" in req:
        try: uid = peer_uid(*req["peer"])
        except Exception: uid = None
        sys.stdout.write(json.dumps({"id": req["id"], "uid": uid}) + "\n"); sys.stdout.flush()
        continue
    try:
        for src, stage, point in req["binds"]: bind_ro(src, stage, point)
        for point in req.get("detach", []): libc.umount2(point.encode(), 2)
        err = None
    except Exception as e:
        err = str(e)
    sys.stdout.write(json.dumps({"id": req["id"], "error": err}) + "\n"); sys.stdout.flush()
`;

export class MountHelper {
  private seq = 0;
  private readonly waiting = new Map<number, (r: { error?: string | null; uid?: number | null }) => void>();
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
          const r = JSON.parse(line) as { id: number; error?: string | null; uid?: number | null };
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
  static async start(python: string): Promise<MountHelper | undefined> {
    const proc = spawn(python, ['-u', '-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: '/usr/bin:/bin' } });
    proc.on('error', () => undefined);
    const h = new MountHelper(proc);
    // A no-op round trip proves it runs.
    const ok = await Promise.race([h.call([], []).then((e) => e === null), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!ok) {
      proc.kill('SIGKILL');
      return undefined;
    }
    return h;
  }

  /** Read-only binds (source → staged → moved onto point) and lazy unmounts; resolves with an error text or null. */
  call(binds: [string, string, string][], detach: string[]): Promise<string | null> {
    return this.request({ binds, detach }).then((r) => r.error ?? null);
  }

  /** The uid owning the loopback socket 127.0.0.1:`peerPort` → 127.0.0.1:`ourPort`, or undefined. */
  peerUid(peerPort: number, ourPort: number): Promise<number | undefined> {
    return this.request({ peer: [peerPort, ourPort] }).then((r) => (typeof r.uid === 'number' ? r.uid : undefined));
  }

  private request(body: object): Promise<{ error?: string | null; uid?: number | null }> {
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
