// The ECR service module: the ECR API, the OCI registry on the shared endpoint, and the module API Lambda resolves
// and unpacks container images through.
import { join } from 'node:path';
import type { ServiceModule } from '../../server/service.js';
import { ecrRoutes } from './api.js';
import { isIndex, parseImageConfig, parseManifest, type ImageRunConfig } from './manifest.js';
import { ociDoor } from './oci.js';
import { isDigest, Registry } from './registry.js';
import { RootfsCache } from './rootfs.js';
import { RegistryTokens } from './token.js';

export type { ImageRunConfig } from './manifest.js';

/** An image URI resolved to the manifest it names (a single-platform image; an index resolves to linux/amd64). */
export interface ResolvedImage {
  /** The registry's region that holds it (from an AWS-style host, else the caller's). */
  region: string;
  repository: string;
  /** The manifest digest (`sha256:…`): what `CodeSha256` reports (hex) and the rootfs is cached by. */
  digest: string;
  /** `<registry>/<repository>@<digest>`: GetFunction's ResolvedImageUri. */
  resolvedUri: string;
  config: ImageRunConfig;
}

export interface EcrApi {
  /**
   * Resolves `<host>/<repo>:<tag>` or `<host>/<repo>@sha256:…` (the host may be this server's or
   * `<account>.dkr.ecr.<region>.amazonaws.com`); undefined when the repository or image does not exist.
   */
  resolve(region: string, imageUri: string): Promise<ResolvedImage | undefined>;
  /** The image's unpacked, read-only root file system (unpacked on first use, then cached by digest). */
  rootfs(region: string, image: ResolvedImage): Promise<string>;
  /** Object blobs the registry holds (so that the object-blob sweep keeps them). */
  referencedBlobs(): Promise<Set<string>>;
}

export type EcrDeps = Record<string, never>;

/** `<registry>/<repository>` and the tag or digest of an image URI. */
export function parseImageUri(uri: string): { registry: string; repository: string; tag?: string; digest?: string } | undefined {
  const slash = uri.indexOf('/');
  if (slash <= 0) return undefined;
  const registry = uri.slice(0, slash);
  let rest = uri.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!rest || (!tag && !digest)) return undefined;
  return { registry, repository: rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export const ecrService: ServiceModule<EcrDeps, EcrApi> = {
  name: 'ecr',
  async create(ctx) {
    const reg = new Registry(ctx.store, ctx.store.blobs.objects, ctx.clock, ctx.config.accountId);
    await reg.init();
    const tokens = new RegistryTokens(ctx.config.rootKey.secretAccessKey, ctx.config.accountId);
    const cache = new RootfsCache(join(ctx.config.dataDir, 'images', 'rootfs'));
    const readJson = async (digest: string): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      for await (const c of await reg.readBlob(digest)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    };

    const api: EcrApi = {
      async resolve(region, uri) {
        const p = parseImageUri(uri);
        if (!p) return undefined;
        const aws = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/.exec(p.registry);
        const r = aws?.[2] ?? region;
        let img = await reg.image(r, p.repository, p.digest ?? p.tag!);
        if (!img || (p.digest && !isDigest(p.digest))) return undefined;
        if (isIndex(img.media_type)) {
          const kids = parseManifest(img.manifest, img.media_type).childDescriptors;
          const pick = kids.find((k) => k.platform?.os === 'linux' && k.platform.architecture === 'amd64') ?? kids[0];
          img = pick ? await reg.image(r, p.repository, pick.digest) : undefined;
          if (!img) return undefined;
        }
        const m = parseManifest(img.manifest, img.media_type);
        const config = m.config ? parseImageConfig(await readJson(m.config.digest)) : { entrypoint: [], cmd: [], env: {} };
        return { repository: p.repository, digest: img.digest, resolvedUri: `${p.registry}/${p.repository}@${img.digest}`, config, region: r };
      },
      async rootfs(region, image) {
        const r = image.region || region;
        return cache.get(image.digest.slice('sha256:'.length), async () => {
          const img = await reg.image(r, image.repository, image.digest);
          if (!img) throw new Error(`image ${image.resolvedUri} is gone`);
          return parseManifest(img.manifest, img.media_type).layers.map((l) => ({ mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip', open: () => reg.readBlob(l.digest) }));
        });
      },
      referencedBlobs: () => reg.referencedBlobs(),
    };
    return {
      routes: {
        ...ecrRoutes(reg, tokens, () => ctx.clock.now()),
        raw: [
          ociDoor({
            registry: reg,
            tokens,
            mode: ctx.config.authMode,
            region: ctx.config.defaultRegion,
            now: () => ctx.clock.now(),
            onInternalError: (e, where) => ctx.log(`selfless: internal error in ${where}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
          }),
        ],
      },
      api,
      start: async () => {},
      stop: async () => {},
    };
  },
};
