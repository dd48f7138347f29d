// KMS's wire errors (JSON 1.1, `TrentService`): each code with AWS's message text.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });

export const keyNotFound = (arn: string): AwsError => e('NotFoundException', `Key '${arn}' does not exist`);
export const aliasNotFound = (aliasArn: string): AwsError => e('NotFoundException', `Alias ${aliasArn} is not found.`);
export const invalidKeyId = (id: string): AwsError => e('NotFoundException', `Invalid keyId '${id}'`);
export const aliasExists = (aliasArn: string): AwsError => e('AlreadyExistsException', `An alias with the name ${aliasArn} already exists`);
export const disabled = (arn: string): AwsError => e('DisabledException', `${arn} is disabled.`);
export const pendingDeletion = (arn: string): AwsError => e('KMSInvalidStateException', `${arn} is pending deletion.`);
export const notPendingDeletion = (arn: string): AwsError => e('KMSInvalidStateException', `${arn} is not pending deletion.`);
export const invalidCiphertext = (): AwsError => e('InvalidCiphertextException', '');
export const incorrectKey = (): AwsError => e('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');
export const reservedAlias = (): AwsError => e('NotAuthorizedException', 'Cannot create alias with prefix alias/aws/');
export const awsManagedKey = (arn: string): AwsError => e('UnsupportedOperationException', `${arn} is an AWS managed key.`);
export const validation = (message: string): AwsError => e('ValidationException', message);
export const invalidAliasName = (message: string): AwsError => e('InvalidAliasNameException', message);
export const invalidGrantId = (): AwsError => e('InvalidGrantIdException', 'Grant ID not found');
export const invalidGrantToken = (): AwsError => e('InvalidGrantTokenException', 'Grant token not found');
export const malformedPolicy = (message: string): AwsError => e('MalformedPolicyDocumentException', message);
export const tagError = (message: string): AwsError => e('TagException', message);
export const invalidArn = (message: string): AwsError => e('InvalidArnException', message);
export const invalidMarker = (): AwsError => e('InvalidMarkerException', 'Invalid marker');
