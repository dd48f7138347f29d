// Container-image functions: ImageConfig at the edge, ImageUri resolved to its manifest digest (as AWS does at
// create), the rootfs unpacked before CreateFunction answers, and what the engine runs (entrypoint, command, env).
import { z } from 'zod';
import { AwsError } from '../../lib/errors.js';
import type { FunctionSpec } from '../../engine/types.js';
import { parseImageUri, type EcrApi, type ResolvedImage } from '../ecr/index.js';
import type { CodePackage } from './code.js';

export const ImageConfigShape = z
  .object({
    EntryPoint: z.array(z.string()).optional(),
    Command: z.array(z.string()).optional(),
    WorkingDirectory: z.string().optional(),
  })
  .optional();
export type ImageConfig = NonNullable<z.infer<typeof ImageConfigShape>>;

/** What a version stores of its image (hidden from the wire; GetFunction's Code shows the URIs). */
export interface StoredImage {
  ImageUri: string;
  ResolvedImageUri: string;
  resolved: ResolvedImage;
}

const invalid = (m: string): AwsError => new AwsError('InvalidParameterValueException', m);

/** AWS's limits on ImageConfig (1,500 entries each, a working directory of at most 1,000 characters). */
export function checkImageConfig(c: unknown): ImageConfig | undefined {
  const r = ImageConfigShape.safeParse(c);
  if (!r.success) throw new AwsError('InvalidRequestContentException', `Could not parse request body into json: Unexpected value for field 'ImageConfig.${r.error.issues[0]?.path.join('.') ?? ''}'`);
  const v = r.data;
  if (!v) return undefined;
  if ((v.EntryPoint?.length ?? 0) > 1500) throw invalid('ImageConfig.EntryPoint must have at most 1500 items');
  if ((v.Command?.length ?? 0) > 1500) throw invalid('ImageConfig.Command must have at most 1500 items');
  if (v.WorkingDirectory !== undefined && v.WorkingDirectory.length > 1000) throw invalid('ImageConfig.WorkingDirectory must have length less than or equal to 1000');
  return v;
}

/** The wire's ImageConfigResponse for a stored ImageConfig (absent when none was set). */
export const imageConfigResponse = (c: ImageConfig | undefined): { ImageConfig: ImageConfig } | undefined =>
  c && (c.EntryPoint || c.Command || c.WorkingDirectory !== undefined) ? { ImageConfig: c } : undefined;

export class ImagePackages {
  constructor(
    private readonly ecr: EcrApi,
    /** The engine's isolation: image functions need the sandbox (their image is the root file system). */
    private readonly isolation: () => 'process' | 'sandbox',
  ) {}

  /** Resolves an ImageUri (tag or digest) to the image's digest and unpacks it; AWS's error when it does not exist. */
  async resolve(region: string, uri: string): Promise<{ pkg: CodePackage; image: StoredImage }> {
    if (this.isolation() !== 'sandbox') {
      throw invalid('selfless runs container-image functions only in the sandbox (its image is the root file system); this server runs with --isolation process. Start it with --isolation sandbox on Linux with bubblewrap.');
    }
    if (!parseImageUri(uri)) throw invalid(`Source image ${uri} is not valid. Provide a valid source image.`);
    const resolved = await this.ecr.resolve(region, uri);
    if (!resolved) throw invalid(`Source image ${uri} does not exist. Provide a valid source image.`);
    try {
      await this.ecr.rootfs(region, resolved);
    } catch (e) {
      throw invalid(`Source image ${uri} could not be unpacked: ${e instanceof Error ? e.message : String(e)}`);
    }
    const hexDigest = resolved.digest.slice('sha256:'.length);
    return {
      pkg: { shaHex: hexDigest, sha256: hexDigest, size: 0, unzippedSize: 0 },
      image: { ImageUri: uri, ResolvedImageUri: resolved.resolvedUri, resolved },
    };
  }

  /** The engine's view of an image function: its root, the command and environment, ImageConfig over the image's. */
  async spec(region: string, image: StoredImage, config: ImageConfig | undefined): Promise<NonNullable<FunctionSpec['image']>> {
    const c = image.resolved.config;
    return {
      rootfs: await this.ecr.rootfs(region, image.resolved),
      entrypoint: config?.EntryPoint ?? c.entrypoint,
      cmd: config?.Command ?? c.cmd,
      workdir: config?.WorkingDirectory ?? c.workdir ?? '/',
      env: c.env,
    };
  }
}
