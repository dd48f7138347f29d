// Unpacks an image's layers (tar, gzip or zstd; OCI whiteouts) into a root file system, once per manifest digest,
// under the data dir. Extraction runs in a bubblewrap mount namespace where only the new root is writable, so a
// layer's symlinks (also those an earlier layer left) resolve inside it and never reach the host.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { hex } from '../../lib/ids.js';

export interface LayerSource {
  mediaType: string;
  open(): Promise<Readable>;
}

const compression = (mediaType: string): string[] => (/zstd/.test(mediaType) ? ['--zstd'] : /gzip/.test(mediaType) ? ['-z'] : []);

/** Runs a command with a stream on stdin; its stdout as text; rejects with its stderr on failure. */
function run(cmd: string, args: string[], input: Readable | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout!.on('data', (c: Buffer) => out.push(c));
    p.stderr!.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    if (input) {
      p.stdin!.on('error', () => undefined);
      input.on('error', (e) => p.kill() && reject(e));
      input.pipe(p.stdin!);
    }
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString('utf8')) : reject(new Error(`${cmd} failed (${code}): ${Buffer.concat(err).toString('utf8').trim().slice(0, 500)}`))));
  });
}

/** The host's system directories as a bwrap view (merged-/usr symlinks kept). */
function systemView(): string[] {
  const a = ['--ro-bind', '/usr', '/usr'];
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
    try {
      const real = realpathSync(`/${d}`);
      if (real !== `/${d}`) a.push('--symlink', real.slice(1), `/${d}`);
      else a.push('--ro-bind', `/${d}`, `/${d}`);
    } catch {
      /* absent */
    }
  }
  return a;
}

/** Whiteouts in a layer's listing: paths to delete before it is extracted, and directories made opaque. */
export function whiteouts(listing: string): { remove: string[]; opaque: string[] } {
  const remove: string[] = [];
  const opaque: string[] = [];
  for (const raw of listing.split('\n')) {
    const p = raw.replace(/^\.?\/+/, '').replace(/\/$/, '');
    if (!p) continue;
    const slash = p.lastIndexOf('/');
    const dir = slash >= 0 ? p.slice(0, slash) : '';
    const base = p.slice(slash + 1);
    if (base === '.wh..wh..opq') opaque.push(dir || '.');
    else if (base.startsWith('.wh.')) remove.push((dir ? `${dir}/` : '') + base.slice(4));
  }
  return { remove, opaque };
}

const SCRIPT = [
  'set -e; cd /out',
  'for d in $OPAQUE; do [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; done',
  'for p in "$@"; do rm -rf -- "$p"; done',
  'tar -x $TARFLAGS --no-same-owner --exclude=.wh.* -f - -C /out',
].join('\n');

export class RootfsCache {
  private readonly building = new Map<string, Promise<string>>();
  constructor(
    private readonly dir: string,
    private readonly bwrap: string = 'bwrap',
  ) {}

  pathOf(digestHex: string): string {
    return join(this.dir, digestHex);
  }

  /** The unpacked root of an image (built on first use; concurrent callers share one build). */
  get(digestHex: string, layers: () => Promise<LayerSource[]>): Promise<string> {
    let p = this.building.get(digestHex);
    if (!p) {
      p = this.build(digestHex, layers);
      this.building.set(digestHex, p);
      p.catch(() => this.building.delete(digestHex));
    }
    return p;
  }

  private async build(digestHex: string, layers: () => Promise<LayerSource[]>): Promise<string> {
    const final = this.pathOf(digestHex);
    if (await stat(join(final, '.selfless')).then(() => true, () => false)) return final;
    const tmp = join(this.dir, `.${digestHex}.${hex(4)}.tmp`);
    await mkdir(tmp, { recursive: true });
    try {
      for (const layer of await layers()) {
        const flags = compression(layer.mediaType);
        const listing = await run('tar', ['-t', ...flags, '-f', '-'], await layer.open());
        const wh = whiteouts(listing);
        const args = [
          '--unshare-all', '--die-with-parent', ...systemView(), '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', tmp, '/out',
          '--setenv', 'OPAQUE', wh.opaque.map((d) => d.replace(/\s/g, '')).join(' '), '--setenv', 'TARFLAGS', flags.join(' '),
          '/bin/sh', '-c', SCRIPT, 'sh', ...wh.remove,
        ];
        await run(this.bwrap, args, await layer.open());
      }
      // Mount points the sandbox needs in a read-only root, and the place host tools are bound at.
      for (const d of ['tmp', 'proc', 'dev', '.selfless/usr']) await mkdir(join(tmp, d), { recursive: true }).catch(() => undefined);
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      return final;
    } catch (e) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  }
}
