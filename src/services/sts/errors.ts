// STS's wire errors (query protocol, 2011-06-15): each code with its HTTP status and AWS's wording.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, status: number, message: string): AwsError => new AwsError(code, message, { status });

export const accessDenied = (message: string): AwsError => e('AccessDenied', 403, message);
export const notAuthorized = (callerArn: string, roleArn: string): AwsError => accessDenied(`User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
export const validation = (message: string): AwsError => e('ValidationError', 400, message);
export const constraint = (value: string | number | null, field: string, rule: string): AwsError =>
  validation(`1 validation error detected: Value ${value === null ? 'null' : `'${value}'`} at '${field}' failed to satisfy constraint: ${rule}`);
export const malformed = (message: string): AwsError => e('MalformedPolicyDocument', 400, message);
export const packedTooLarge = (message: string): AwsError => e('PackedPolicyTooLarge', 400, message);
