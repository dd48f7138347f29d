// An SQS SDK client pointed at a test server.
import { SQSClient } from '@aws-sdk/client-sqs';

export function sqsClient(url: string, region = 'us-east-1'): SQSClient {
  return new SQSClient({ endpoint: url, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}
