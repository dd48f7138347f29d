// AWS Signer's wire errors (rest-json): each code with its status and message.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, status: number, message: string): AwsError => new AwsError(code, message, { status });

export const profileNotFound = (name: string): AwsError => e('ResourceNotFoundException', 404, `Signing profile ${name} does not exist.`);
export const jobNotFound = (id: string): AwsError => e('ResourceNotFoundException', 404, `Signing job ${id} does not exist.`);
export const platformNotFound = (id: string): AwsError => e('ResourceNotFoundException', 404, `Signing platform ${id} does not exist.`);
export const validation = (message: string): AwsError => e('ValidationException', 400, message);
/** A profile that is canceled or revoked signs nothing more. */
export const profileNotActive = (name: string, status: string): AwsError => e('ValidationException', 400, `Signing profile ${name} is ${status.toLowerCase()} and cannot be used to sign.`);
export const platformUnsupported = (id: string): AwsError =>
  e('ValidationException', 400, `Platform ${id} is not supported on this server: selfless signs AWS Lambda code packages only (platformId AWSLambda-SHA384-ECDSA).`);
export const alreadyRevoked = (what: string): AwsError => e('ValidationException', 400, `${what} is already revoked.`);
