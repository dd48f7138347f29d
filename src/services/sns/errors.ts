// The SNS service's errors: each query-protocol code it answers with (status as in AWS's model) and its message.
import { AwsError } from '../../lib/errors.js';

/** An SNS error: its code is the query code itself (the shared table's SQS query codes must not rename it). */
class SnsError extends AwsError {
  constructor(code: string, message: string, status: number) {
    super(code, message, { status });
    (this as { queryCode: string | undefined }).queryCode = undefined;
  }
}

/** `InvalidParameter` (400): the message is AWS's, usually `Invalid parameter: <what>`. */
export const invalidParameter = (message: string): AwsError => new SnsError('InvalidParameter', message, 400);
/** `ParameterValueInvalid` (400): AWS's InvalidParameterValueException (message attributes). */
export const parameterValueInvalid = (message: string): AwsError => new SnsError('ParameterValueInvalid', message, 400);
export const notFound = (message: string): AwsError => new SnsError('NotFound', message, 404);
export const topicNotFound = (): AwsError => notFound('Topic does not exist');
export const subscriptionNotFound = (): AwsError => notFound('Subscription does not exist');
export const resourceNotFound = (): AwsError => new SnsError('ResourceNotFound', 'Resource does not exist', 404);
export const authorizationError = (message: string): AwsError => new SnsError('AuthorizationError', message, 403);
export const invalidAction = (action: string): AwsError => new SnsError('InvalidAction', `The action ${action} is not valid for this endpoint.`, 400);
export const missingParameter = (name: string): AwsError =>
  new SnsError('ValidationError', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`, 400);
export const emptyBatch = (): AwsError => new SnsError('EmptyBatchRequest', "The batch request doesn't contain any entries.", 400);
export const tooManyEntries = (): AwsError => new SnsError('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.', 400);
export const batchIdsNotDistinct = (): AwsError => new SnsError('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.', 400);
export const invalidBatchEntryId = (): AwsError =>
  new SnsError('InvalidBatchEntryId', "The Id of a batch entry in a batch request doesn't abide by the specification.", 400);
export const batchTooLong = (): AwsError => new SnsError('BatchRequestTooLong', 'The length of all the messages put together is more than the limit.', 400);
export const tagLimitExceeded = (): AwsError => new SnsError('TagLimitExceeded', 'Could not complete request: tag quota of per resource exceeded', 400);
export const notImplemented = (action: string): AwsError => new SnsError('InvalidAction', `The action ${action} is not supported by selfless.`, 400);
