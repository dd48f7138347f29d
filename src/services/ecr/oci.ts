// The OCI distribution API under /v2/ on the shared endpoint (what skopeo, crane and docker push and pull with):
// blobs, monolithic, chunked and cross-mounted uploads, manifests by tag and digest, tag lists, registry errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { AuthMode } from '../../server/auth.js';
import type { RawRoute } from '../../server/types.js';
import { AwsError } from '../../lib/errors.js';
import { R, RegistryError } from './errors.js';
import { isDigest, REPO_NAME, type Registry } from './registry.js';
import type { RegistryTokens } from './token.js';

export interface OciDoorDeps {
  registry: Registry;
  tokens: RegistryTokens;
  mode: AuthMode;
  /** The registry's region (its requests carry no SigV4 scope). */
  region: string;
  now(): number;
  onInternalError(e: unknown, where: string): void;
}

const MAX_MANIFEST = 4 * 1024 * 1024;
const API_HEADER: [string, string] = ['Docker-Distribution-API-Version', 'registry/2.0'];

type Route =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'manifest'; name: string; ref: string }
  | { kind: 'tags'; name: string };

function route(path: string): Route | undefined {
  if (path === '/v2' || path === '/v2/') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  const m = /^\/v2\/(.+?)\/(?:(blobs\/uploads)\/?([^/]*)|blobs\/([^/]+)|manifests\/([^/]+)|(tags\/list))$/.exec(path);
  if (!m) return undefined;
  const name = m[1]!;
  if (m[2]) return m[3] ? { kind: 'upload', name, id: m[3] } : { kind: 'uploads', name };
  if (m[4]) return { kind: 'blob', name, digest: decodeURIComponent(m[4]) };
  if (m[5]) return { kind: 'manifest', name, ref: decodeURIComponent(m[5]) };
  return { kind: 'tags', name };
}

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  res.statusCode = status;
  res.setHeader(API_HEADER[0], API_HEADER[1]);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== undefined && !headers['Content-Length']) res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function sendError(res: ServerResponse, e: RegistryError, head: boolean): void {
  const body = e.body();
  const extra: Record<string, string> = e.status === 401 ? { 'WWW-Authenticate': 'Basic realm="selfless"' } : {};
  send(res, e.status, { 'Content-Type': 'application/json', ...extra, 'Content-Length': Buffer.byteLength(body) }, head ? undefined : body);
}

async function readAll(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw R.manifestInvalid('manifest too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

const uploadLocation = (name: string, id: string): string => `/v2/${name}/blobs/uploads/${id}`;
const rangeOf = (size: number): string => `0-${Math.max(0, size - 1)}`;

export function ociDoor(d: OciDoorDeps): RawRoute {
  const reg = d.registry;
  const region = d.region;

  const needRepo = async (name: string): Promise<void> => {
    if (!REPO_NAME.test(name)) throw R.nameInvalid(name);
    if (!(await reg.findRepo(region, name))) throw R.nameUnknown(name);
  };

  const uploaded = (res: ServerResponse, name: string, digest: string, size: number): void =>
    send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 }, '');
  const accepted = (res: ServerResponse, name: string, id: string, size: number): void =>
    send(res, 202, { Location: uploadLocation(name, id), Range: rangeOf(size), 'Docker-Upload-UUID': id, 'Content-Length': 0 }, '');

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const r = route(url.pathname);
    if (!r) {
      req.resume();
      return sendError(res, new RegistryError('NOT_FOUND', 404, 'not found'), head);
    }
    // Enforce mode: Basic AWS:<GetAuthorizationToken password>. Dev mode: anonymous and any Basic credentials.
    if (d.mode === 'enforce' && !d.tokens.verifyBasic(req.headers.authorization, d.now())) {
      req.resume();
      return sendError(res, R.unauthorized(), head);
    }
    const q = url.searchParams;
    switch (r.kind) {
      case 'base':
        req.resume();
        return send(res, 200, { 'Content-Type': 'application/json' }, head ? undefined : '{}');
      case 'catalog': {
        req.resume();
        const names = (await reg.listRepos(region)).map((x) => x.name);
        return send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ repositories: names }));
      }
      case 'tags': {
        req.resume();
        await needRepo(r.name);
        let tags = await reg.tags(region, r.name);
        const last = q.get('last');
        if (last) tags = tags.filter((t) => t > last);
        const n = Number(q.get('n') ?? '0');
        if (n > 0) tags = tags.slice(0, n);
        return send(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ name: r.name, tags }));
      }
      case 'blob': {
        req.resume();
        await needRepo(r.name);
        if (method === 'DELETE') throw R.unsupported('blob deletion');
        if (method !== 'GET' && !head) throw R.unsupported(method);
        const size = isDigest(r.digest) ? await reg.blobSize(region, r.name, r.digest) : undefined;
        if (size === undefined) throw R.blobUnknown(r.digest);
        const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': size, 'Docker-Content-Digest': r.digest, ETag: `"${r.digest}"` };
        if (head) return send(res, 200, headers);
        const stream = await reg.readBlob(r.digest);
        res.statusCode = 200;
        res.setHeader(API_HEADER[0], API_HEADER[1]);
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        await pipeline(stream, res);
        return;
      }
      case 'uploads': {
        await needRepo(r.name);
        if (method !== 'POST') throw R.unsupported(method);
        const mount = q.get('mount');
        if (mount) {
          const size = await reg.mount(region, r.name, mount, q.get('from') ?? undefined);
          if (size !== undefined) {
            req.resume();
            return uploaded(res, r.name, mount, size);
          }
        }
        const id = await reg.startUpload(region, r.name);
        const digest = q.get('digest');
        if (digest) {
          const size = await reg.completeUpload(id, region, r.name, digest, req);
          return uploaded(res, r.name, digest, size);
        }
        req.resume();
        return accepted(res, r.name, id, 0);
      }
      case 'upload': {
        await needRepo(r.name);
        if (method === 'GET') {
          req.resume();
          const u = await reg.upload(r.id, region, r.name);
          if (!u) throw R.blobUploadUnknown();
          return send(res, 204, { Location: uploadLocation(r.name, r.id), Range: rangeOf(u.size), 'Docker-Upload-UUID': r.id, 'Content-Length': 0 }, '');
        }
        if (method === 'DELETE') {
          req.resume();
          if (!(await reg.cancelUpload(r.id, region, r.name))) throw R.blobUploadUnknown();
          return send(res, 204, { 'Content-Length': 0 }, '');
        }
        if (method === 'PATCH') {
          const cr = /^(\d+)-(\d+)$/.exec(String(req.headers['content-range'] ?? ''));
          const size = await reg.appendPart(r.id, region, r.name, req, cr ? Number(cr[1]) : undefined);
          return accepted(res, r.name, r.id, size);
        }
        if (method === 'PUT') {
          const digest = q.get('digest');
          if (!digest) throw R.digestInvalid('digest is missing');
          const size = await reg.completeUpload(r.id, region, r.name, digest, req);
          return uploaded(res, r.name, digest, size);
        }
        req.resume();
        throw R.unsupported(method);
      }
      case 'manifest': {
        await needRepo(r.name);
        if (method === 'PUT') {
          const bytes = await readAll(req, MAX_MANIFEST);
          const { digest } = await reg.putManifest(region, r.name, r.ref, bytes, req.headers['content-type']);
          return send(res, 201, { Location: `/v2/${r.name}/manifests/${digest}`, 'Docker-Content-Digest': digest, 'Content-Length': 0 }, '');
        }
        req.resume();
        if (method === 'DELETE') {
          if (!isDigest(r.ref)) throw R.unsupported('deleting a manifest by tag');
          if (!(await reg.deleteImage(region, r.name, { digest: r.ref }))) throw R.manifestUnknown(r.ref);
          return send(res, 202, { 'Content-Length': 0 }, '');
        }
        if (method !== 'GET' && !head) throw R.unsupported(method);
        const img = await reg.image(region, r.name, r.ref);
        if (!img) throw R.manifestUnknown(r.ref);
        const headers = { 'Content-Type': img.media_type, 'Content-Length': img.manifest.length, 'Docker-Content-Digest': img.digest, ETag: `"${img.digest}"` };
        return send(res, 200, headers, head ? undefined : img.manifest);
      }
    }
  }

  return {
    name: 'ecr-registry',
    // Registry clients never sign with SigV4; a signed /v2/… request is someone else's (an S3 bucket named v2).
    claims: (req, url) => (url.pathname === '/v2' || url.pathname.startsWith('/v2/')) && !String(req.headers.authorization ?? '').startsWith('AWS4-'),
    handle: async (req, res, url) => {
      try {
        await handle(req, res, url);
      } catch (e) {
        req.resume();
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (e instanceof RegistryError) return sendError(res, e, req.method === 'HEAD');
        if (e instanceof AwsError && e.code === 'RepositoryNotFoundException') return sendError(res, R.nameUnknown(url.pathname), req.method === 'HEAD');
        d.onInternalError(e, 'the registry');
        sendError(res, new RegistryError('UNKNOWN', 500, 'unknown error'), req.method === 'HEAD');
      }
    },
  };
}
