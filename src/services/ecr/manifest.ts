// Image manifests as the registry accepts them (OCI image manifest and index, Docker v2 schema 2 manifest and list):
// what they reference and the image configuration a function runs with.
import { R } from './errors.js';

export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const KNOWN = new Set<string>(Object.values(MEDIA));
export const isIndex = (mediaType: string): boolean => mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string };
}

export interface ParsedManifest {
  mediaType: string;
  /** The config's media type (DescribeImages' artifactMediaType). */
  artifactType?: string;
  /** Blobs the manifest names (config and layers); none for an index. */
  blobs: string[];
  config?: Descriptor;
  layers: Descriptor[];
  /** Manifests an index names. */
  children: string[];
  childDescriptors: Descriptor[];
  /** Total size of config and layers (DescribeImages' imageSizeInBytes). */
  size: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !DIGEST.test(d.digest) || typeof d.size !== 'number') throw R.manifestInvalid(`${where} is not a valid descriptor`);
  return d as Descriptor;
}

export function parseManifest(bytes: Buffer, contentType?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(bytes.toString('utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    doc = v as Record<string, unknown>;
  } catch {
    throw R.manifestInvalid('not a JSON object');
  }
  const declared = typeof doc['mediaType'] === 'string' ? doc['mediaType'] : undefined;
  const header = contentType?.split(';')[0]?.trim();
  let mediaType = declared ?? (header && KNOWN.has(header) ? header : undefined);
  if (!mediaType) mediaType = Array.isArray(doc['manifests']) ? MEDIA.ociIndex : MEDIA.ociManifest;
  if (!KNOWN.has(mediaType)) throw R.manifestInvalid(`unsupported media type ${mediaType}`);
  if (doc['schemaVersion'] !== 2) throw R.manifestInvalid('schemaVersion must be 2');
  if (isIndex(mediaType)) {
    if (!Array.isArray(doc['manifests'])) throw R.manifestInvalid('manifests is missing');
    const kids = (doc['manifests'] as unknown[]).map((m, i) => descriptor(m, `manifests[${i}]`));
    return { mediaType, blobs: [], layers: [], children: kids.map((k) => k.digest), childDescriptors: kids, size: kids.reduce((s, k) => s + k.size, 0) };
  }
  const config = descriptor(doc['config'], 'config');
  if (!Array.isArray(doc['layers'])) throw R.manifestInvalid('layers is missing');
  const layers = (doc['layers'] as unknown[]).map((l, i) => descriptor(l, `layers[${i}]`));
  return {
    mediaType,
    ...(config.mediaType ? { artifactType: config.mediaType } : {}),
    blobs: [config.digest, ...layers.map((l) => l.digest)],
    config,
    layers,
    children: [],
    childDescriptors: [],
    size: config.size + layers.reduce((s, l) => s + l.size, 0),
  };
}

/** The parts of an image configuration a function runs with (`config` of the OCI image config). */
export interface ImageRunConfig {
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir?: string;
  architecture?: string;
  os?: string;
}

export function parseImageConfig(bytes: Buffer): ImageRunConfig {
  let doc: { architecture?: unknown; os?: unknown; config?: { Entrypoint?: unknown; Cmd?: unknown; Env?: unknown; WorkingDir?: unknown } };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    doc = {};
  }
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const env: Record<string, string> = {};
  for (const kv of strs(doc.config?.Env)) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const wd = doc.config?.WorkingDir;
  return {
    entrypoint: strs(doc.config?.Entrypoint),
    cmd: strs(doc.config?.Cmd),
    env,
    ...(typeof wd === 'string' && wd ? { workdir: wd } : {}),
    ...(typeof doc.architecture === 'string' ? { architecture: doc.architecture } : {}),
    ...(typeof doc.os === 'string' ? { os: doc.os } : {}),
  };
}
