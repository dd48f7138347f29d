// Code locations: CodeUri (s3:// string or Bucket/Key map), InlineCode, ImageUri → Lambda's Code / Content.
import { InvalidResourceError } from '../errors.js';
import type { SamResource } from '../resource.js';
import { isObj, truthy, type Json, type JsonObject } from '../types.js';

/** parse_s3_uri: `s3://bucket/key?versionId=v` → {Bucket, Key, Version?}, else undefined. */
export function parseS3Uri(uri: Json | undefined): { Bucket: string; Key: string; Version?: string } | undefined {
  if (typeof uri !== 'string') return undefined;
  const m = /^s3:\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/.exec(uri);
  // urlparse refuses a netloc with unbalanced or misplaced brackets (e.g. an unresolved `[TOKEN.25]`).
  if (!m || !m[2] || /[[\]]/.test(m[1]!)) return undefined;
  const out: { Bucket: string; Key: string; Version?: string } = { Bucket: m[1]!, Key: m[2].replace(/^\/+/, '') };
  if (m[3]) {
    const versions = m[3].split('&').filter((kv) => kv.startsWith('versionId=')).map((kv) => decodeURIComponent(kv.slice(10).replace(/\+/g, ' ')));
    const nonEmpty = versions.filter((v) => v !== '');
    if (nonEmpty.length === 1) out.Version = nonEmpty[0]!;
  }
  return out;
}

/** construct_s3_location_object: the S3 form of a code location, with the reference's errors. */
export function s3Location(location: Json | undefined, ownerId: string, property: string): JsonObject {
  let pointer: JsonObject;
  if (isObj(location)) {
    if (!truthy(location['Bucket']) || !truthy(location['Key'])) throw new InvalidResourceError(ownerId, `'${property}' requires Bucket and Key properties to be specified.`);
    pointer = location;
  } else if (typeof location === 'string') {
    const dyn = /{{resolve:(ssm|ssm-secure|secretsmanager):[a-zA-Z0-9_.\-/]+(:\d+)?}}/.exec(location);
    if (dyn && dyn[0].includes('/')) {
      throw new InvalidResourceError(ownerId, `Unsupported dynamic reference detected in '${property}'. Please consider using alternative 'FunctionCode' object format.`);
    }
    const p = parseS3Uri(location);
    if (!p) throw new InvalidResourceError(ownerId, `'${property}' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.`);
    pointer = p as unknown as JsonObject;
  } else {
    throw new InvalidResourceError(ownerId, `'${property}' must be of type dict or string.`);
  }
  const code: JsonObject = { S3Bucket: pointer['Bucket']!, S3Key: pointer['Key']! };
  if ('Version' in pointer) code['S3ObjectVersion'] = pointer['Version']!;
  return code;
}

/** _construct_code_dict of a Function: one of InlineCode/CodeUri (Zip) or ImageUri (Image). */
export function functionCode(r: SamResource): JsonObject {
  const type = r.get('PackageType') ?? 'Zip';
  if (type !== 'Zip' && type !== 'Image') throw new InvalidResourceError(r.id, `invalid 'PackageType' : ${String(type)}`);
  const inline = r.get('InlineCode');
  const codeUri = r.get('CodeUri');
  const image = r.get('ImageUri');
  let code: JsonObject;
  if (type === 'Zip') {
    if (inline === undefined && codeUri === undefined) throw new InvalidResourceError(r.id, "Only one of 'InlineCode' or 'CodeUri' can be set.");
    if (inline !== undefined) code = { ZipFile: inline };
    else code = s3Location(codeUri, r.id, 'CodeUri');
  } else {
    if (image === undefined) throw new InvalidResourceError(r.id, "'ImageUri' must be set.");
    if (!truthy(image)) throw new InvalidResourceError(r.id, "'ImageUri' requires that a image hosted at a registry be specified.");
    code = { ImageUri: image };
  }
  const kms = r.get('SourceKMSKeyArn');
  if (truthy(kms) && type === 'Zip') code['SourceKMSKeyArn'] = kms!;
  return code;
}
