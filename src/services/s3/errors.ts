// The S3 service's errors: each wire code it answers with, its HTTP status and AWS's message, with the extra
// members AWS puts in the <Error> body (Key, BucketName, …).
import { AwsError } from '../../lib/errors.js';

const err = (code: string, status: number, message: string, fields: Record<string, unknown> = {}, headers: Record<string, string> = {}): AwsError =>
  new AwsError(code, message, { status, fields, headers });

export const noSuchBucket = (bucket: string): AwsError => err('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
export const noSuchKey = (key: string): AwsError => err('NoSuchKey', 404, 'The specified key does not exist.', { Key: key });
export const noSuchVersion = (key: string, versionId: string): AwsError => err('NoSuchVersion', 404, 'The specified version does not exist.', { Key: key, VersionId: versionId });
export const methodNotAllowedOnDeleteMarker = (): AwsError =>
  err('MethodNotAllowed', 405, 'The specified method is not allowed against this resource.', { Method: 'GET', ResourceType: 'DeleteMarker' }, { 'x-amz-delete-marker': 'true' });
export const bucketAlreadyOwnedByYou = (bucket: string): AwsError =>
  err('BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
export const bucketNotEmpty = (bucket: string): AwsError => err('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', { BucketName: bucket });
export const invalidBucketName = (bucket: string): AwsError => err('InvalidBucketName', 400, 'The specified bucket is not valid.', { BucketName: bucket });
export const noSuchUpload = (uploadId: string): AwsError =>
  err('NoSuchUpload', 404, 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
export const invalidPart = (partNumber: number, etag: string): AwsError =>
  err('InvalidPart', 400, 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', {
    PartNumber: partNumber,
    ETag: etag,
  });
export const invalidPartOrder = (): AwsError => err('InvalidPartOrder', 400, 'The list of parts was not in ascending order. Parts must be ordered by part number.');
export const entityTooSmall = (size: number): AwsError =>
  err('EntityTooSmall', 400, 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: size, MinSizeAllowed: 5242880 });
export const entityTooLarge = (size: number, max: number): AwsError =>
  err('EntityTooLarge', 400, 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: size, MaxSizeAllowed: max });
export const invalidRange = (size: number, range: string): AwsError =>
  err('InvalidRange', 416, 'The requested range is not satisfiable', { RangeRequested: range, ActualObjectSize: size });
export const preconditionFailed = (condition: string): AwsError => err('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold', { Condition: condition });
export const malformedXml = (): AwsError => err('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema');
export const invalidArgument = (message: string, name?: string, value?: string): AwsError =>
  err('InvalidArgument', 400, message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' });
export const invalidRequest = (message: string): AwsError => err('InvalidRequest', 400, message);
export const badDigest = (message = 'The Content-MD5 you specified did not match what we received.'): AwsError => err('BadDigest', 400, message);
export const invalidDigest = (): AwsError => err('InvalidDigest', 400, 'The Content-MD5 you specified was invalid.');
export const incompleteBody = (): AwsError => err('IncompleteBody', 400, 'You did not provide the number of bytes specified by the Content-Length HTTP header');
export const missingContentLength = (): AwsError => err('MissingContentLength', 411, 'You must provide the Content-Length HTTP header.');
export const expiredPresigned = (expires: string, now: string): AwsError =>
  err('AccessDenied', 403, 'Request has expired', { 'X-Amz-Expires': expires, Expires: expires, ServerTime: now });
export const authorizationQueryParametersError = (message: string): AwsError => err('AuthorizationQueryParametersError', 400, message);
export const noSuchTagSet = (bucket: string): AwsError => err('NoSuchTagSet', 404, 'The TagSet does not exist', { BucketName: bucket });
export const noSuchBucketPolicy = (bucket: string): AwsError => err('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', { BucketName: bucket });
export const noSuchCorsConfiguration = (bucket: string): AwsError => err('NoSuchCORSConfiguration', 404, 'The CORS configuration does not exist', { BucketName: bucket });
export const malformedPolicy = (message: string): AwsError => err('MalformedPolicy', 400, message);
export const invalidTag = (message: string): AwsError => err('InvalidTag', 400, message);
export const corsForbidden = (): AwsError => err('AccessForbidden', 403, 'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.');
export const notImplemented = (what: string): AwsError =>
  err('NotImplemented', 501, 'A header you provided implies functionality that is not implemented', { Header: what });
export const illegalLocationConstraint = (loc: string): AwsError =>
  err('IllegalLocationConstraintException', 400, `The ${loc} location constraint is incompatible for the region specific endpoint this request was sent to.`);
export const invalidLocationConstraint = (): AwsError => err('InvalidLocationConstraint', 400, 'The specified location-constraint is not valid', { LocationConstraint: '' });
export const keyTooLong = (): AwsError => err('KeyTooLongError', 400, 'Your key is too long');
export const invalidStorageClass = (): AwsError => err('InvalidStorageClass', 400, 'The storage class you specified is not valid');
export const invalidCopyRequest = (): AwsError =>
  err('InvalidRequest', 400, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
export const xAmzContentSha256Mismatch = (): AwsError =>
  err('XAmzContentSHA256Mismatch', 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
