// The ECR API (JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.*`): repositories, images, layer uploads, tokens.
import { Readable } from 'node:stream';
import { parseJsonObject, need, str, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import * as E from './errors.js';
import { RegistryError } from './errors.js';
import { isDigest, REPO_NAME, type Image, type Registry, type RepoRow } from './registry.js';
import { TOKEN_TTL_MS, type RegistryTokens } from './token.js';

type Body = JsonObject;
const seconds = (ms: number): number => ms / 1000;
/** host:port as the client reached this server (repository URIs are built from it, as queue URLs are). */
export const hostOf = (baseUrl: string): string => baseUrl.replace(/^https?:\/\//, '');

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

function imageIds(b: Body): ImageId[] {
  const v = b['imageIds'];
  if (!Array.isArray(v)) throw E.validation("1 validation error detected: Value null at 'imageIds' failed to satisfy constraint: Member must not be null");
  return v.map((x: unknown) => {
    const o = (x ?? {}) as Record<string, unknown>;
    return { ...(typeof o['imageDigest'] === 'string' ? { imageDigest: o['imageDigest'] } : {}), ...(typeof o['imageTag'] === 'string' ? { imageTag: o['imageTag'] } : {}) };
  });
}

const idText = (id: ImageId): string => `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;

function page<T>(items: T[], b: Body, max = 100): { items: T[]; nextToken?: string } {
  const token = str(b, 'nextToken');
  const start = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) throw E.invalidParameter('Invalid parameter at \'nextToken\' failed to satisfy constraint: \'Invalid NextToken\'');
  const n = typeof b['maxResults'] === 'number' ? (b['maxResults'] as number) : max;
  if (n < 1 || n > 1000) throw E.invalidParameter(`Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value less than or equal to 1000'`);
  const slice = items.slice(start, start + n);
  return { items: slice, ...(start + n < items.length ? { nextToken: Buffer.from(String(start + n)).toString('base64') } : {}) };
}

function repoName(b: Body): string {
  const name = need(b, 'repositoryName');
  if (name.length < 2 || name.length > 256 || !REPO_NAME.test(name)) {
    throw E.invalidParameter(`Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`);
  }
  return name;
}

export function ecrRoutes(reg: Registry, tokens: RegistryTokens, now: () => number): ServiceRoutes {
  const acct = reg.accountId;
  const repoWire = (r: ApiRequest, row: RepoRow): Body => ({
    repositoryArn: reg.arn(row.region, row.name),
    registryId: acct,
    repositoryName: row.name,
    repositoryUri: `${hostOf(r.baseUrl)}/${row.name}`,
    createdAt: seconds(Number(row.created_at)),
    imageTagMutability: row.mutability,
    imageScanningConfiguration: { scanOnPush: Number(row.scan_on_push) === 1 },
    encryptionConfiguration: { encryptionType: row.encryption },
  });
  const detail = (img: Image): Body => ({
    registryId: acct,
    repositoryName: img.repo,
    imageDigest: img.digest,
    ...(img.tags.length ? { imageTags: img.tags } : {}),
    imageSizeInBytes: img.size,
    imagePushedAt: seconds(img.pushed_at),
    imageManifestMediaType: img.media_type,
    ...(img.artifact_type ? { artifactMediaType: img.artifact_type } : {}),
  });
  const imageWire = (img: Image, id: ImageId): Body => ({
    registryId: acct,
    repositoryName: img.repo,
    imageId: { imageDigest: img.digest, ...(id.imageTag ? { imageTag: id.imageTag } : img.tags[0] && !id.imageDigest ? { imageTag: img.tags[0] } : {}) },
    imageManifest: img.manifest.toString('utf8'),
    imageManifestMediaType: img.media_type,
  });
  const find = async (region: string, repo: string, id: ImageId): Promise<Image | undefined> => {
    const img = await reg.image(region, repo, id.imageDigest ?? id.imageTag ?? '');
    if (img && id.imageTag && !img.tags.includes(id.imageTag)) return undefined;
    return img;
  };
  // The OCI API's errors surface here too (PutImage's manifest checks), in ECR's words.
  const wrap = (h: Handler): Handler => async (r) => {
    try {
      return await h(r);
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      if (e.code === 'MANIFEST_BLOB_UNKNOWN') throw E.layersNotFound(`Layers with digests '[${(e.detail as { digest?: string })?.digest ?? ''}]' required for pushing image into repository with name '${parseJsonObject(r.body)['repositoryName'] as string}' in the registry with id '${acct}' do not exist`);
      if (e.code === 'BLOB_UPLOAD_UNKNOWN') throw E.uploadNotFound('Upload not found');
      if (e.code === 'DIGEST_INVALID') throw E.invalidLayer(`Invalid layer digest: ${e.message}`);
      if (e.code === 'BLOB_UPLOAD_INVALID') throw E.invalidLayerPart('Invalid layer part: the first byte does not follow the last byte received');
      throw E.invalidParameter(e.message);
    }
  };

  const ops: Record<string, Handler> = {
    CreateRepository: async (r) => {
      const b = parseJsonObject(r.body);
      const name = repoName(b);
      const mut = str(b, 'imageTagMutability');
      if (mut !== undefined && mut !== 'MUTABLE' && mut !== 'IMMUTABLE') throw E.validation(`1 validation error detected: Value '${mut}' at 'imageTagMutability' failed to satisfy constraint: Member must satisfy enum value set: [MUTABLE, IMMUTABLE]`);
      const scan = (b['imageScanningConfiguration'] as { scanOnPush?: unknown } | undefined)?.scanOnPush === true;
      const enc = (b['encryptionConfiguration'] as { encryptionType?: unknown } | undefined)?.encryptionType;
      const tags: Record<string, string> = {};
      for (const t of Array.isArray(b['tags']) ? (b['tags'] as { Key?: unknown; Value?: unknown }[]) : []) if (typeof t.Key === 'string') tags[t.Key] = typeof t.Value === 'string' ? t.Value : '';
      const row = await reg.createRepo(r.region, name, { ...(mut ? { mutability: mut } : {}), scanOnPush: scan, ...(typeof enc === 'string' ? { encryption: enc } : {}), tags });
      return { body: { repository: repoWire(r, row) } };
    },
    DescribeRepositories: async (r) => {
      const b = parseJsonObject(r.body);
      const names = Array.isArray(b['repositoryNames']) ? (b['repositoryNames'] as unknown[]).filter((x): x is string => typeof x === 'string') : undefined;
      let rows: RepoRow[];
      if (names) {
        rows = [];
        for (const n of names) rows.push(await reg.repo(r.region, n));
      } else rows = await reg.listRepos(r.region);
      const p = page(rows, b);
      return { body: { repositories: p.items.map((x) => repoWire(r, x)), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    DeleteRepository: async (r) => {
      const b = parseJsonObject(r.body);
      const row = await reg.deleteRepo(r.region, need(b, 'repositoryName'), b['force'] === true);
      return { body: { repository: repoWire(r, row) } };
    },
    DescribeImages: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      let imgs: Image[];
      if (b['imageIds'] !== undefined) {
        imgs = [];
        for (const id of imageIds(b)) {
          const img = await find(r.region, repo, id);
          if (!img) throw E.imageNotFound(`The image with imageId ${idText(id)} does not exist within the repository with name '${repo}' in the registry with id '${acct}'`);
          imgs.push(img);
        }
      } else imgs = await reg.images(r.region, repo);
      const status = (b['filter'] as { tagStatus?: unknown } | undefined)?.tagStatus;
      if (status === 'TAGGED') imgs = imgs.filter((i) => i.tags.length > 0);
      if (status === 'UNTAGGED') imgs = imgs.filter((i) => i.tags.length === 0);
      const p = page(imgs, b);
      return { body: { imageDetails: p.items.map(detail), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    ListImages: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      const status = (b['filter'] as { tagStatus?: unknown } | undefined)?.tagStatus;
      const ids: ImageId[] = [];
      for (const img of await reg.images(r.region, repo)) {
        if (img.tags.length === 0 && status !== 'TAGGED') ids.push({ imageDigest: img.digest });
        if (status !== 'UNTAGGED') for (const t of img.tags) ids.push({ imageDigest: img.digest, imageTag: t });
      }
      const p = page(ids, b);
      return { body: { imageIds: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    BatchGetImage: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      const images: Body[] = [];
      const failures: Body[] = [];
      for (const id of imageIds(b)) {
        const img = await find(r.region, repo, id);
        if (img) images.push(imageWire(img, id));
        else failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
      return { body: { images, failures } };
    },
    BatchDeleteImage: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      const done: ImageId[] = [];
      const failures: Body[] = [];
      for (const id of imageIds(b)) {
        const img = await reg.deleteImage(r.region, repo, { ...(id.imageTag ? { tag: id.imageTag } : {}), ...(id.imageDigest ? { digest: id.imageDigest } : {}) });
        if (img) done.push({ imageDigest: img.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) });
        else failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
      return { body: { imageIds: done, failures } };
    },
    PutImage: wrap(async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      const manifest = Buffer.from(need(b, 'imageManifest'), 'utf8');
      const tag = str(b, 'imageTag');
      const digest = str(b, 'imageDigest');
      await reg.repo(r.region, repo);
      const existing = tag ? await reg.image(r.region, repo, tag) : undefined;
      const { digest: d } = await reg.putManifest(r.region, repo, tag ?? digest ?? '', manifest, str(b, 'imageManifestMediaType'));
      if (digest && digest !== d) throw E.invalidParameter(`Invalid parameter at 'imageDigest' failed to satisfy constraint: 'The digest does not match the manifest'`);
      if (existing && existing.digest === d) throw E.imageAlreadyExists(`Image with digest '${d}' and tag '${tag}' already exists in the repository with name '${repo}' in registry with id '${acct}'`);
      const img = (await reg.image(r.region, repo, d))!;
      return { body: { image: imageWire(img, { ...(tag ? { imageTag: tag } : {}), imageDigest: d }) } };
    }),
    GetAuthorizationToken: async (r) => {
      const expiresAt = now() + TOKEN_TTL_MS;
      const token = Buffer.from(`AWS:${tokens.issue(expiresAt)}`).toString('base64');
      return { body: { authorizationData: [{ authorizationToken: token, expiresAt: seconds(expiresAt), proxyEndpoint: r.baseUrl }] } };
    },
    InitiateLayerUpload: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      return { body: { uploadId: await reg.startUpload(r.region, repo), partSize: 10 * 1024 * 1024 } };
    },
    UploadLayerPart: wrap(async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      const id = need(b, 'uploadId');
      await reg.repo(r.region, repo);
      const data = Buffer.from(need(b, 'layerPartBlob'), 'base64');
      const first = typeof b['partFirstByte'] === 'number' ? (b['partFirstByte'] as number) : undefined;
      const size = await reg.appendPart(id, r.region, repo, Readable.from([data]), first);
      return { body: { registryId: acct, repositoryName: repo, uploadId: id, lastByteReceived: size - 1 } };
    }),
    CompleteLayerUpload: wrap(async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      const id = need(b, 'uploadId');
      await reg.repo(r.region, repo);
      const digests = Array.isArray(b['layerDigests']) ? (b['layerDigests'] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      const digest = digests[0];
      if (!digest) throw E.validation("1 validation error detected: Value null at 'layerDigests' failed to satisfy constraint: Member must not be null");
      const u = await reg.upload(id, r.region, repo);
      if (!u) throw E.uploadNotFound(`The upload with id '${id}' does not exist in the repository with name '${repo}' in the registry with id '${acct}'`);
      if (u.size === 0) throw E.emptyUpload(`The layer upload with id '${id}' in the repository with name '${repo}' in the registry with id '${acct}' is empty`);
      await reg.completeUpload(id, r.region, repo, digest);
      return { body: { registryId: acct, repositoryName: repo, uploadId: id, layerDigest: digest } };
    }),
    BatchCheckLayerAvailability: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      await reg.repo(r.region, repo);
      const layers: Body[] = [];
      const failures: Body[] = [];
      for (const d of Array.isArray(b['layerDigests']) ? (b['layerDigests'] as unknown[]) : []) {
        const digest = String(d);
        const size = isDigest(digest) ? await reg.blobSize(r.region, repo, digest) : undefined;
        if (size !== undefined) layers.push({ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
        else failures.push({ layerDigest: digest, failureCode: isDigest(digest) ? 'MissingLayerDigest' : 'InvalidLayerDigest', failureReason: 'Could not find layer' });
      }
      return { body: { layers, failures } };
    },
    GetDownloadUrlForLayer: async (r) => {
      const b = parseJsonObject(r.body);
      const repo = need(b, 'repositoryName');
      const digest = need(b, 'layerDigest');
      await reg.repo(r.region, repo);
      if (!isDigest(digest) || (await reg.blobSize(r.region, repo, digest)) === undefined) {
        throw E.layersNotFound(`The layer with digest '${digest}' does not exist in the repository with name '${repo}' in the registry with id '${acct}'`);
      }
      return { body: { downloadUrl: `${r.baseUrl}/v2/${repo}/blobs/${digest}`, layerDigest: digest } };
    },
  };
  return { json: [{ targetPrefix: 'AmazonEC2ContainerRegistry_V20150921', errorNamespace: 'com.amazonaws.ecr', ops, maxBody: 64 * 1024 * 1024 }] };
}
