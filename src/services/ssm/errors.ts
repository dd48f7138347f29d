// SSM Parameter Store's wire errors (JSON 1.1, `AmazonSSM`), with AWS's message texts.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });
export const notFound = (): AwsError => e('ParameterNotFound', '');
export const exists = (): AwsError => e('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
export const versionNotFound = (name: string, v: string): AwsError => e('ParameterVersionNotFound', `Systems Manager could not find version ${v} of ${name}. Verify the version and try again.`);
export const validation = (m: string): AwsError => e('ValidationException', m);
export const hierarchy = (): AwsError => e('HierarchyLevelLimitExceededException', 'A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the Systems Manager User Guide.');
export const badPattern = (p: string): AwsError => e('ParameterPatternMismatchException', `Parameter value, cannot be validated against allowedPattern: ${p}`);
export const badType = (t: string): AwsError => e('UnsupportedParameterType', t);
export const accessDenied = (name: string): AwsError => e('AccessDeniedException', `No access to reserved parameter name: ${name}.`);
