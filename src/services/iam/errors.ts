// IAM's wire errors (query protocol, 2010-05-08): each code with its HTTP status (from the model) and AWS's wording.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, status: number, message: string): AwsError => new AwsError(code, message, { status });

/** What an entity is called in IAM's messages ("The user with name x cannot be found."). */
export type EntityWord = 'user' | 'group' | 'role' | 'policy' | 'instance profile';

export const noSuchEntity = (message: string): AwsError => e('NoSuchEntity', 404, message);
export const notFound = (what: EntityWord, name: string): AwsError => noSuchEntity(`The ${what} with name ${name} cannot be found.`);
export const policyNotFound = (arn: string): AwsError => noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
export const alreadyExists = (message: string): AwsError => e('EntityAlreadyExists', 409, message);
export const deleteConflict = (message: string): AwsError => e('DeleteConflict', 409, message);
export const limitExceeded = (message: string): AwsError => e('LimitExceeded', 409, message);
export const malformed = (message: string): AwsError => e('MalformedPolicyDocument', 400, message);
export const invalidInput = (message: string): AwsError => e('InvalidInput', 400, message);
export const validation = (message: string): AwsError => e('ValidationError', 400, message);
export const notAttachable = (message: string): AwsError => e('PolicyNotAttachable', 400, message);

/** The model's constraint failure, worded as AWS's request validator words it. */
export const constraint = (value: string | number | null, field: string, rule: string): AwsError =>
  validation(`1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${field}' failed to satisfy constraint: ${rule}`);
