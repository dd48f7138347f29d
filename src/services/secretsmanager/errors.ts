// Secrets Manager's wire errors (JSON 1.1, `secretsmanager`), with AWS's message texts.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });
export const notFound = (): AwsError => e('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const versionNotFound = (): AwsError => e('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
export const exists = (name: string): AwsError => e('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
export const markedForDeletion = (): AwsError => e('InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
export const invalidParam = (m: string): AwsError => e('InvalidParameterException', m);
export const invalidRequest = (m: string): AwsError => e('InvalidRequestException', m);
export const encryptionFailure = (): AwsError => e('EncryptionFailure', "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state.");
export const resourceExists = (m: string): AwsError => e('ResourceExistsException', m);
export const malformedPolicy = (m: string): AwsError => e('MalformedPolicyDocumentException', m);
export const publicPolicy = (): AwsError => e('PublicPolicyException', 'This resource policy contains a statement that grants public access to this secret.');
export const rotationInProgress = (): AwsError => e('InvalidRequestException', "A previous rotation isn't complete. That rotation will be reattempted.");
export const noRotationLambda = (): AwsError => e('InvalidRequestException', 'No Lambda rotation function ARN is associated with this secret.');
