// An SNS SDK client pointed at a test server.
import { SNSClient } from '@aws-sdk/client-sns';

export function snsClient(url: string, region = 'us-east-1'): SNSClient {
  return new SNSClient({ endpoint: url, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
}
