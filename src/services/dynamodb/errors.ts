// DynamoDB's wire errors (JSON 1.0, `com.amazonaws.dynamodb.v20120810`), with AWS's message texts.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string, fields?: Record<string, unknown>): AwsError => new AwsError(code, message, { status: 400, ...(fields ? { fields } : {}) });

export const validation = (m: string): AwsError => e('ValidationException', m);
export const invalid = (m: string): AwsError => validation(`One or more parameter values were invalid: ${m}`);
export const nullMember = (member: string): AwsError => validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
export const constraint = (value: string, member: string, c: string): AwsError => validation(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${c}`);
export const tableNotFound = (name: string): AwsError => e('ResourceNotFoundException', `Requested resource not found: Table: ${name} not found`);
export const resourceNotFound = (): AwsError => e('ResourceNotFoundException', 'Requested resource not found');
export const tableExists = (name: string): AwsError => e('ResourceInUseException', `Table already exists: ${name}`);
export const inUse = (m: string): AwsError => e('ResourceInUseException', m);
export const keyMismatch = (): AwsError => validation('The provided key element does not match the schema');
export const missingKey = (name: string): AwsError => invalid(`Missing the key ${name} in the item`);
export const keyType = (name: string, want: string, got: string): AwsError => invalid(`Type mismatch for key ${name} expected: ${want} actual: ${got}`);
export const indexKeyType = (name: string, want: string, got: string, index: string): AwsError =>
  invalid(`Type mismatch for Index Key ${name} Expected: ${want} Actual: ${got} IndexName: ${index}`);
export const emptyKey = (name: string): AwsError => validation(`One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`);
export const emptyIndexKey = (name: string, index: string): AwsError =>
  validation(`One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: ${index}, IndexKey: ${name}`);
export const tooBig = (): AwsError => validation('Item size has exceeded the maximum allowed size');
export const conditionFailed = (item?: Record<string, unknown>): AwsError => e('ConditionalCheckFailedException', 'The conditional request failed', item ? { Item: item } : undefined);
export const noIndex = (name: string): AwsError => validation(`The table does not have the specified index: ${name}`);
export const badStartKey = (why = 'The provided key element does not match the schema'): AwsError => validation(`The provided starting key is invalid: ${why}`);
export const duplicates = (): AwsError => validation('Provided list of item keys contains duplicates');
export const txCancelled = (reasons: { Code: string; Message?: string; Item?: unknown }[]): AwsError =>
  e('TransactionCanceledException', `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`, { CancellationReasons: reasons });
export const idempotentMismatch = (): AwsError => e('IdempotentParameterMismatchException', 'Request parameters do not match the previous request');
export const limitExceeded = (m: string): AwsError => e('LimitExceededException', m);
export const arnNotFound = (arn: string): AwsError => e('ResourceNotFoundException', `Requested resource not found: ResourcArn: ${arn} not found`);
