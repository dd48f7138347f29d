// ECR's wire errors (JSON 1.1, AmazonEC2ContainerRegistry_V20150921) and the OCI registry's JSON error bodies.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });

export const repositoryNotFound = (name: string, registryId: string): AwsError =>
  e('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${registryId}'`);
export const repositoryExists = (name: string, registryId: string): AwsError =>
  e('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${registryId}'`);
export const repositoryNotEmpty = (name: string, registryId: string): AwsError =>
  e('RepositoryNotEmptyException', `The repository with name '${name}' in registry with id '${registryId}' cannot be deleted because it still contains images`);
export const imageNotFound = (message: string): AwsError => e('ImageNotFoundException', message);
export const imageAlreadyExists = (message: string): AwsError => e('ImageAlreadyExistsException', message);
export const imageTagAlreadyExists = (message: string): AwsError => e('ImageTagAlreadyExistsException', message);
export const layersNotFound = (message: string): AwsError => e('LayersNotFoundException', message);
export const layerNotFound = (message: string): AwsError => e('LayerInaccessibleException', message);
export const uploadNotFound = (message: string): AwsError => e('UploadNotFoundException', message);
export const invalidLayer = (message: string): AwsError => e('InvalidLayerException', message);
export const invalidLayerPart = (message: string): AwsError => e('InvalidLayerPartException', message);
export const emptyUpload = (message: string): AwsError => e('EmptyUploadException', message);
export const invalidParameter = (message: string): AwsError => e('InvalidParameterException', message);
export const validation = (message: string): AwsError => e('ValidationException', message);

/** An error of the OCI distribution API: its code (spec's table), HTTP status and message. */
export class RegistryError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
  body(): string {
    return JSON.stringify({ errors: [{ code: this.code, message: this.message, ...(this.detail !== undefined ? { detail: this.detail } : {}) }] });
  }
}

export const R = {
  blobUnknown: (digest: string) => new RegistryError('BLOB_UNKNOWN', 404, 'blob unknown to registry', { digest }),
  blobUploadUnknown: () => new RegistryError('BLOB_UPLOAD_UNKNOWN', 404, 'blob upload unknown to registry'),
  blobUploadInvalid: (why: string) => new RegistryError('BLOB_UPLOAD_INVALID', 400, `blob upload invalid: ${why}`),
  digestInvalid: (why: string) => new RegistryError('DIGEST_INVALID', 400, 'provided digest did not match uploaded content', { reason: why }),
  manifestUnknown: (ref: string) => new RegistryError('MANIFEST_UNKNOWN', 404, 'manifest unknown', { reference: ref }),
  manifestInvalid: (why: string) => new RegistryError('MANIFEST_INVALID', 400, `manifest invalid: ${why}`),
  manifestBlobUnknown: (digest: string) => new RegistryError('MANIFEST_BLOB_UNKNOWN', 400, 'blob unknown to registry', { digest }),
  nameUnknown: (name: string) => new RegistryError('NAME_UNKNOWN', 404, 'repository name not known to registry', { name }),
  nameInvalid: (name: string) => new RegistryError('NAME_INVALID', 400, 'invalid repository name', { name }),
  tagInvalid: (tag: string) => new RegistryError('TAG_INVALID', 400, 'manifest tag did not match URI', { tag }),
  unauthorized: () => new RegistryError('UNAUTHORIZED', 401, 'authentication required'),
  denied: () => new RegistryError('DENIED', 403, 'requested access to the resource is denied'),
  unsupported: (what: string) => new RegistryError('UNSUPPORTED', 405, `The operation is unsupported: ${what}`),
  rangeInvalid: () => new RegistryError('BLOB_UPLOAD_INVALID', 416, 'requested range not satisfiable'),
  sizeInvalid: () => new RegistryError('SIZE_INVALID', 400, 'provided length did not match content length'),
};
