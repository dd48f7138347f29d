// Kinesis Data Streams' wire errors (JSON 1.1, `Kinesis_20131202`), with AWS's message texts.
import { AwsError } from '../../lib/errors.js';

const e = (code: string, message: string): AwsError => new AwsError(code, message, { status: 400 });

/** How AWS names a stream in its messages: `Stream foo under account 000000000000`. */
export const streamOf = (name: string, account: string): string => `Stream ${name} under account ${account}`;

export const streamNotFound = (name: string, account: string): AwsError => e('ResourceNotFoundException', `${streamOf(name, account)} not found.`);
export const streamExists = (name: string, account: string): AwsError => e('ResourceInUseException', `${streamOf(name, account)} already exists.`);
export const streamNotActive = (name: string, account: string, status: string): AwsError =>
  e('ResourceInUseException', `${streamOf(name, account)} is not ACTIVE. Current status: ${status}.`);
export const shardNotFound = (shardId: string, name: string, account: string): AwsError =>
  e('ResourceNotFoundException', `Shard ${shardId} in stream ${name} under account ${account} does not exist`);
export const consumerNotFound = (what: string): AwsError => e('ResourceNotFoundException', `Consumer ${what} not found.`);
export const consumerExists = (name: string, streamArn: string): AwsError =>
  e('ResourceInUseException', `Consumer ${name} under stream ${streamArn} already exists.`);
export const resourceNotFound = (arn: string): AwsError => e('ResourceNotFoundException', `Resource ${arn} not found.`);
export const invalid = (message: string): AwsError => e('InvalidArgumentException', message);
export const inUse = (message: string): AwsError => e('ResourceInUseException', message);
export const limit = (message: string): AwsError => e('LimitExceededException', message);
export const validation = (member: string, value: string, constraint: string): AwsError =>
  e('ValidationException', `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);
export const expiredIterator = (message: string): AwsError => e('ExpiredIteratorException', message);
export const accessDenied = (message: string): AwsError => e('AccessDeniedException', message);

/** Both StreamName and StreamARN absent, or naming different streams. */
export const noStream = (): AwsError => invalid('Either StreamName or StreamARN should be provided.');
export const streamMismatch = (): AwsError => invalid('StreamName and StreamARN refer to different streams.');

export const shardLimit = (account: string, region: string, current: number, adding: number, max: number): AwsError =>
  limit(
    `This request would exceed the shard limit for the account ${account} in ${region}. Current shard count for the account: ${current}. ` +
      `Limit: ${max}. Number of additional shards that would have resulted from this request: ${adding}. ` +
      'Refer to the AWS Service Limits page (https://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.',
  );
export const expiredNextToken = (tok: string): AwsError => e('ExpiredNextTokenException', `The timestamp of the last ListShards call has exceeded 300 seconds. NextToken ${tok} has expired.`);
export const internal = (): AwsError => new AwsError('InternalFailure', 'Internal service failure.', { status: 500 });
