// The registry's state: repositories, images (manifests by digest, tags pointing at them), the blobs linked into
// each repository and blob uploads in progress. Blob bytes are the store's content-addressed object blobs.
import { createHash } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { uuid } from '../../lib/ids.js';
import type { ObjectBlobs } from '../../store/object-blobs.js';
import type { Migration, Store } from '../../store/store.js';
import * as E from './errors.js';
import { R } from './errors.js';
import { parseManifest, type ParsedManifest } from './manifest.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: [
      'CREATE TABLE ecr_repositories (region TEXT NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL, mutability TEXT NOT NULL, scan_on_push INTEGER NOT NULL, encryption TEXT NOT NULL, tags TEXT NOT NULL, PRIMARY KEY (region, name))',
      'CREATE TABLE ecr_images (region TEXT NOT NULL, repo TEXT NOT NULL, digest TEXT NOT NULL, manifest BLOB NOT NULL, media_type TEXT NOT NULL, artifact_type TEXT, size INTEGER NOT NULL, pushed_at INTEGER NOT NULL, PRIMARY KEY (region, repo, digest))',
      'CREATE TABLE ecr_tags (region TEXT NOT NULL, repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (region, repo, tag))',
      'CREATE TABLE ecr_blobs (region TEXT NOT NULL, repo TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (region, repo, digest))',
      'CREATE TABLE ecr_uploads (id TEXT PRIMARY KEY, region TEXT NOT NULL, repo TEXT NOT NULL, created_at INTEGER NOT NULL)',
      'CREATE TABLE ecr_upload_parts (id TEXT NOT NULL, n INTEGER NOT NULL, sha TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY (id, n))',
    ].join(';'),
  },
];

export interface RepoRow {
  region: string;
  name: string;
  created_at: number;
  mutability: string;
  scan_on_push: number;
  encryption: string;
  tags: string;
}

export interface ImageRow {
  region: string;
  repo: string;
  digest: string;
  manifest: Buffer;
  media_type: string;
  artifact_type: string | null;
  size: number;
  pushed_at: number;
}

export interface Image extends ImageRow {
  tags: string[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
export const isDigest = (s: string): boolean => DIGEST.test(s);
const shaOf = (digest: string): string => digest.slice('sha256:'.length);
/** Repository names as ECR allows them (also the OCI name grammar). */
export const REPO_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const TAG = /^[\w][\w.-]{0,127}$/;

export class Registry {
  constructor(
    private readonly store: Store,
    private readonly blobs: ObjectBlobs,
    private readonly clock: Clock,
    readonly accountId: string,
  ) {}

  async init(): Promise<void> {
    await this.store.migrate('ecr', MIGRATIONS);
  }

  arn(region: string, name: string): string {
    return `arn:aws:ecr:${region}:${this.accountId}:repository/${name}`;
  }

  // ---- repositories

  async createRepo(region: string, name: string, o: { mutability?: string; scanOnPush?: boolean; encryption?: string; tags?: Record<string, string> }): Promise<RepoRow> {
    const row: RepoRow = {
      region, name, created_at: this.clock.now(), mutability: o.mutability ?? 'MUTABLE', scan_on_push: o.scanOnPush ? 1 : 0,
      encryption: o.encryption ?? 'AES256', tags: JSON.stringify(o.tags ?? {}),
    };
    const r = await this.store.run(
      'INSERT INTO ecr_repositories (region, name, created_at, mutability, scan_on_push, encryption, tags) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region, name) DO NOTHING',
      [row.region, row.name, row.created_at, row.mutability, row.scan_on_push, row.encryption, row.tags],
    );
    if (r.changes === 0) throw E.repositoryExists(name, this.accountId);
    return row;
  }

  findRepo(region: string, name: string): Promise<RepoRow | undefined> {
    return this.store.get<RepoRow>('SELECT * FROM ecr_repositories WHERE region = ? AND name = ?', [region, name]);
  }

  async repo(region: string, name: string): Promise<RepoRow> {
    const r = await this.findRepo(region, name);
    if (!r) throw E.repositoryNotFound(name, this.accountId);
    return r;
  }

  listRepos(region: string): Promise<RepoRow[]> {
    return this.store.all<RepoRow>('SELECT * FROM ecr_repositories WHERE region = ? ORDER BY name', [region]);
  }

  async deleteRepo(region: string, name: string, force: boolean): Promise<RepoRow> {
    const r = await this.repo(region, name);
    const images = await this.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM ecr_images WHERE region = ? AND repo = ?', [region, name]);
    if (Number(images?.n ?? 0) > 0 && !force) throw E.repositoryNotEmpty(name, this.accountId);
    await this.store.tx(async (q) => {
      for (const t of ['ecr_images', 'ecr_tags', 'ecr_blobs']) await q.run(`DELETE FROM ${t} WHERE region = ? AND repo = ?`, [region, name]);
      await q.run('DELETE FROM ecr_repositories WHERE region = ? AND name = ?', [region, name]);
    });
    return r;
  }

  // ---- blobs

  /** The size of a blob linked into a repository, or undefined. */
  async blobSize(region: string, repo: string, digest: string): Promise<number | undefined> {
    const r = await this.store.get<{ size: number }>('SELECT size FROM ecr_blobs WHERE region = ? AND repo = ? AND digest = ?', [region, repo, digest]);
    return r ? Number(r.size) : undefined;
  }

  /** Links a blob that exists anywhere in this registry (any repository) into `repo` (cross-mount); its size, or undefined. */
  async mount(region: string, repo: string, digest: string, from?: string): Promise<number | undefined> {
    const src = from
      ? await this.store.get<{ size: number }>('SELECT size FROM ecr_blobs WHERE region = ? AND repo = ? AND digest = ?', [region, from, digest])
      : await this.store.get<{ size: number }>('SELECT size FROM ecr_blobs WHERE region = ? AND digest = ? LIMIT 1', [region, digest]);
    if (!src || !isDigest(digest) || !(await this.blobs.has(shaOf(digest)))) return undefined;
    await this.link(region, repo, digest, Number(src.size));
    return Number(src.size);
  }

  private async link(region: string, repo: string, digest: string, size: number): Promise<void> {
    await this.store.run('INSERT INTO ecr_blobs (region, repo, digest, size) VALUES (?, ?, ?, ?) ON CONFLICT (region, repo, digest) DO NOTHING', [region, repo, digest, size]);
  }

  /** The bytes of a blob (by digest), optionally a byte range (inclusive). */
  readBlob(digest: string, start?: number, end?: number): ReturnType<ObjectBlobs['read']> {
    return this.blobs.read(shaOf(digest), start, end);
  }

  // ---- uploads (OCI chunked uploads and ECR's layer-part API alike)

  async startUpload(region: string, repo: string): Promise<string> {
    const id = uuid();
    await this.store.run('INSERT INTO ecr_uploads (id, region, repo, created_at) VALUES (?, ?, ?, ?)', [id, region, repo, this.clock.now()]);
    return id;
  }

  async upload(id: string, region: string, repo: string): Promise<{ size: number; parts: { n: number; sha: string; size: number }[] } | undefined> {
    const u = await this.store.get('SELECT id FROM ecr_uploads WHERE id = ? AND region = ? AND repo = ?', [id, region, repo]);
    if (!u) return undefined;
    const parts = (await this.store.all<{ n: number; sha: string; size: number }>('SELECT n, sha, size FROM ecr_upload_parts WHERE id = ? ORDER BY n', [id])).map((p) => ({ n: Number(p.n), sha: p.sha, size: Number(p.size) }));
    return { size: parts.reduce((s, p) => s + p.size, 0), parts };
  }

  /** Appends bytes to an upload; `at` (when given) must be the upload's current size. Returns the new size. */
  async appendPart(id: string, region: string, repo: string, src: AsyncIterable<Uint8Array>, at?: number): Promise<number> {
    const u = await this.upload(id, region, repo);
    if (!u) throw R.blobUploadUnknown();
    if (at !== undefined && at !== u.size) throw R.rangeInvalid();
    const w = await this.blobs.write(src);
    if (w.size === 0) return u.size;
    const n = (u.parts.at(-1)?.n ?? -1) + 1;
    await this.store.run('INSERT INTO ecr_upload_parts (id, n, sha, size) VALUES (?, ?, ?, ?)', [id, n, w.sha, w.size]);
    return u.size + w.size;
  }

  /** Finishes an upload: the parts (and `last`) become the blob `digest`, linked into the repository. */
  async completeUpload(id: string, region: string, repo: string, digest: string, last?: AsyncIterable<Uint8Array>): Promise<number> {
    if (!isDigest(digest)) throw R.digestInvalid('unsupported digest');
    if (last) await this.appendPart(id, region, repo, last);
    const u = await this.upload(id, region, repo);
    if (!u) throw R.blobUploadUnknown();
    const want = shaOf(digest);
    if (!(u.parts.length === 1 && u.parts[0]!.sha === want)) {
      const blobs = this.blobs;
      const parts = u.parts;
      async function* joined(): AsyncIterable<Uint8Array> {
        for (const p of parts) yield* (await blobs.read(p.sha)) as AsyncIterable<Uint8Array>;
      }
      const hash = createHash('sha256');
      const counted = async function* (): AsyncIterable<Uint8Array> {
        for await (const c of joined()) {
          hash.update(c);
          yield c;
        }
      };
      await this.blobs.write(counted(), () => {
        if (hash.digest('hex') !== want) throw R.digestInvalid('digest mismatch');
      });
    }
    await this.store.tx(async (q) => {
      await q.run('INSERT INTO ecr_blobs (region, repo, digest, size) VALUES (?, ?, ?, ?) ON CONFLICT (region, repo, digest) DO NOTHING', [region, repo, digest, u.size]);
      await q.run('DELETE FROM ecr_upload_parts WHERE id = ?', [id]);
      await q.run('DELETE FROM ecr_uploads WHERE id = ?', [id]);
    });
    return u.size;
  }

  async cancelUpload(id: string, region: string, repo: string): Promise<boolean> {
    if (!(await this.upload(id, region, repo))) return false;
    await this.store.tx(async (q) => {
      await q.run('DELETE FROM ecr_upload_parts WHERE id = ?', [id]);
      await q.run('DELETE FROM ecr_uploads WHERE id = ?', [id]);
    });
    return true;
  }

  // ---- images

  /**
   * Stores a manifest under its digest (every blob or child manifest it names must be in the repository) and, for a
   * tag, points the tag at it. Returns the digest.
   */
  async putManifest(region: string, repo: string, ref: string, bytes: Buffer, contentType?: string): Promise<{ digest: string; parsed: ParsedManifest }> {
    const r = await this.repo(region, repo);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    if (isDigest(ref) && ref !== digest) throw R.digestInvalid('manifest digest does not match the reference');
    if (!isDigest(ref) && !TAG.test(ref)) throw R.tagInvalid(ref);
    const parsed = parseManifest(bytes, contentType);
    for (const d of parsed.blobs) if ((await this.blobSize(region, repo, d)) === undefined) throw R.manifestBlobUnknown(d);
    for (const d of parsed.children) if (!(await this.imageRow(region, repo, d))) throw R.manifestBlobUnknown(d);
    if (!isDigest(ref) && r.mutability === 'IMMUTABLE') {
      const cur = await this.store.get<{ digest: string }>('SELECT digest FROM ecr_tags WHERE region = ? AND repo = ? AND tag = ?', [region, repo, ref]);
      if (cur && cur.digest !== digest) throw E.imageTagAlreadyExists(`The image tag '${ref}' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`);
    }
    await this.store.tx(async (q) => {
      await q.run(
        'INSERT INTO ecr_images (region, repo, digest, manifest, media_type, artifact_type, size, pushed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (region, repo, digest) DO NOTHING',
        [region, repo, digest, bytes, parsed.mediaType, parsed.artifactType ?? null, parsed.size, this.clock.now()],
      );
      if (!isDigest(ref)) {
        await q.run('INSERT INTO ecr_tags (region, repo, tag, digest) VALUES (?, ?, ?, ?) ON CONFLICT (region, repo, tag) DO UPDATE SET digest = excluded.digest', [region, repo, ref, digest]);
      }
    });
    return { digest, parsed };
  }

  private imageRow(region: string, repo: string, digest: string): Promise<ImageRow | undefined> {
    return this.store.get<ImageRow>('SELECT * FROM ecr_images WHERE region = ? AND repo = ? AND digest = ?', [region, repo, digest]);
  }

  /** The image a tag or digest names in a repository, or undefined. */
  async image(region: string, repo: string, ref: string): Promise<Image | undefined> {
    let digest = ref;
    if (!isDigest(ref)) {
      const t = await this.store.get<{ digest: string }>('SELECT digest FROM ecr_tags WHERE region = ? AND repo = ? AND tag = ?', [region, repo, ref]);
      if (!t) return undefined;
      digest = t.digest;
    }
    const row = await this.imageRow(region, repo, digest);
    if (!row) return undefined;
    return { ...row, manifest: Buffer.from(row.manifest), size: Number(row.size), pushed_at: Number(row.pushed_at), tags: await this.tagsOf(region, repo, digest) };
  }

  private async tagsOf(region: string, repo: string, digest: string): Promise<string[]> {
    return (await this.store.all<{ tag: string }>('SELECT tag FROM ecr_tags WHERE region = ? AND repo = ? AND digest = ? ORDER BY tag', [region, repo, digest])).map((t) => t.tag);
  }

  async images(region: string, repo: string): Promise<Image[]> {
    const rows = await this.store.all<ImageRow>('SELECT * FROM ecr_images WHERE region = ? AND repo = ? ORDER BY pushed_at, digest', [region, repo]);
    const tags = await this.store.all<{ tag: string; digest: string }>('SELECT tag, digest FROM ecr_tags WHERE region = ? AND repo = ? ORDER BY tag', [region, repo]);
    return rows.map((r) => ({ ...r, manifest: Buffer.from(r.manifest), size: Number(r.size), pushed_at: Number(r.pushed_at), tags: tags.filter((t) => t.digest === r.digest).map((t) => t.tag) }));
  }

  async tags(region: string, repo: string): Promise<string[]> {
    return (await this.store.all<{ tag: string }>('SELECT tag FROM ecr_tags WHERE region = ? AND repo = ? ORDER BY tag', [region, repo])).map((t) => t.tag);
  }

  /** Removes a tag (the image stays while other tags or its digest are wanted), or an image by digest with its tags. */
  async deleteImage(region: string, repo: string, ref: { tag?: string; digest?: string }): Promise<Image | undefined> {
    const img = await this.image(region, repo, ref.digest ?? ref.tag ?? '');
    if (!img || (ref.digest && ref.tag && !img.tags.includes(ref.tag))) return undefined;
    await this.store.tx(async (q) => {
      if (ref.tag && !ref.digest && img.tags.length > 1) {
        await q.run('DELETE FROM ecr_tags WHERE region = ? AND repo = ? AND tag = ?', [region, repo, ref.tag]);
        return;
      }
      await q.run('DELETE FROM ecr_tags WHERE region = ? AND repo = ? AND digest = ?', [region, repo, img.digest]);
      await q.run('DELETE FROM ecr_images WHERE region = ? AND repo = ? AND digest = ?', [region, repo, img.digest]);
    });
    return img;
  }

  /** Every object blob the registry holds on to (linked blobs and upload parts), for the object-blob sweep. */
  async referencedBlobs(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const r of await this.store.all<{ digest: string }>('SELECT DISTINCT digest FROM ecr_blobs')) out.add(shaOf(r.digest));
    for (const r of await this.store.all<{ sha: string }>('SELECT sha FROM ecr_upload_parts')) out.add(r.sha);
    return out;
  }
}
