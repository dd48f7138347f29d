// The AWS managed policies this node knows (attachable by ARN, never stored): their paths, ids, versions and
// documents as AWS publishes them in the AWS Managed Policy reference. ReadOnlyAccess and AmazonDynamoDBFullAccess
// are long lists upstream; they are abridged here to the statements that matter to the services selfless runs.

export interface AwsManagedPolicy {
  name: string;
  path: string;
  id: string;
  description: string;
  version: string;
  created: string;
  updated: string;
  document: unknown;
}

const allow = (Action: string | string[], Resource: string | string[] = '*', extra: Record<string, unknown> = {}) => ({ Effect: 'Allow', Action, Resource, ...extra });

export const AWS_MANAGED: readonly AwsManagedPolicy[] = [
  {
    name: 'AdministratorAccess', path: '/', id: 'ANPAIWMBCKSKIEE64ZLYK', description: 'Provides full access to AWS services and resources.',
    version: 'v1', created: '2015-02-06T18:39:46Z', updated: '2015-02-06T18:39:46Z',
    document: { Version: '2012-10-17', Statement: [allow('*')] },
  },
  {
    name: 'ReadOnlyAccess', path: '/', id: 'ANPAILL3HVNFSB6DCOWYQ', description: 'Provides read-only access to AWS services and resources.',
    version: 'v120', created: '2015-02-06T18:39:48Z', updated: '2025-01-01T00:00:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        allow([
          'cloudformation:Describe*', 'cloudformation:Get*', 'cloudformation:List*', 'cloudwatch:Describe*', 'cloudwatch:Get*', 'cloudwatch:List*',
          'dynamodb:BatchGet*', 'dynamodb:Describe*', 'dynamodb:Get*', 'dynamodb:List*', 'dynamodb:Query', 'dynamodb:Scan', 'events:Describe*', 'events:List*',
          'iam:Generate*', 'iam:Get*', 'iam:List*', 'iam:Simulate*', 'kinesis:Describe*', 'kinesis:Get*', 'kinesis:List*', 'kms:Describe*', 'kms:Get*', 'kms:List*',
          'lambda:Get*', 'lambda:List*', 'logs:Describe*', 'logs:FilterLogEvents', 'logs:Get*', 'logs:ListTagsForResource', 'logs:StartQuery', 'logs:StopQuery', 'logs:TestMetricFilter',
          's3:DescribeJob', 's3:Get*', 's3:List*', 'secretsmanager:Describe*', 'secretsmanager:GetResourcePolicy', 'secretsmanager:List*',
          'sns:Check*', 'sns:Get*', 'sns:List*', 'sqs:Get*', 'sqs:List*', 'sqs:Receive*', 'ssm:Describe*', 'ssm:Get*', 'ssm:List*', 'states:Describe*', 'states:Get*', 'states:List*',
          'sts:GetCallerIdentity', 'sts:GetSessionToken', 'tag:Get*', 'xray:BatchGet*', 'xray:Get*',
        ]),
      ],
    },
  },
  {
    name: 'AWSLambdaBasicExecutionRole', path: '/service-role/', id: 'ANPAJNCQGXC42545SKXIK', description: 'Provides write permissions to CloudWatch Logs.',
    version: 'v1', created: '2015-04-09T15:03:43Z', updated: '2015-04-09T15:03:43Z',
    document: { Version: '2012-10-17', Statement: [allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'])] },
  },
  {
    name: 'AWSLambdaSQSQueueExecutionRole', path: '/service-role/', id: 'ANPAJFWJZI6JNND4TSELK', description: 'Provides receive message, delete message, and read attribute access to SQS queues, and write permissions to CloudWatch logs.',
    version: 'v2', created: '2016-06-14T21:50:40Z', updated: '2023-09-07T00:00:00Z',
    document: { Version: '2012-10-17', Statement: [allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'])] },
  },
  {
    name: 'AmazonSQSFullAccess', path: '/', id: 'ANPAI65L554VRJ33ECQS6', description: 'Provides full access to Amazon SQS via the AWS Management Console.',
    version: 'v2', created: '2015-02-06T18:41:07Z', updated: '2024-01-01T00:00:00Z',
    document: { Version: '2012-10-17', Statement: [allow(['sqs:*'], '*', { Sid: 'SQSFullAccess' })] },
  },
  {
    name: 'AmazonS3FullAccess', path: '/', id: 'ANPAIFIR6V6BVTRAHWINE', description: 'Provides full access to all buckets via the AWS Management Console.',
    version: 'v2', created: '2015-02-06T18:40:58Z', updated: '2021-09-27T20:16:37Z',
    document: { Version: '2012-10-17', Statement: [allow(['s3:*', 's3-object-lambda:*'])] },
  },
  {
    name: 'AmazonDynamoDBFullAccess', path: '/', id: 'ANPAINUGF2JSOSUY76KYA', description: 'Provides full access to Amazon DynamoDB via the AWS Management Console.',
    version: 'v15', created: '2015-02-06T18:40:11Z', updated: '2021-01-29T17:38:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        allow([
          'dynamodb:*', 'dax:*', 'application-autoscaling:DeleteScalingPolicy', 'application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:DescribeScalableTargets',
          'application-autoscaling:DescribeScalingActivities', 'application-autoscaling:DescribeScalingPolicies', 'application-autoscaling:PutScalingPolicy',
          'application-autoscaling:RegisterScalableTarget', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:DescribeAlarms',
          'cloudwatch:DescribeAlarmsForMetric', 'cloudwatch:GetMetricStatistics', 'cloudwatch:ListMetrics', 'cloudwatch:PutMetricAlarm', 'cloudwatch:GetMetricData',
          'kms:DescribeKey', 'kms:ListAliases', 'lambda:CreateFunction', 'lambda:ListFunctions', 'lambda:ListEventSourceMappings', 'lambda:CreateEventSourceMapping',
          'lambda:DeleteEventSourceMapping', 'lambda:GetFunctionConfiguration', 'lambda:DeleteFunction', 'sns:CreateTopic', 'sns:DeleteTopic', 'sns:ListSubscriptions',
          'sns:ListSubscriptionsByTopic', 'sns:ListTopics', 'sns:Subscribe', 'sns:Unsubscribe', 'sns:SetTopicAttributes', 'iam:GetRole', 'iam:ListRoles',
        ]),
        allow('iam:PassRole', '*', { Condition: { StringLike: { 'iam:PassedToService': ['application-autoscaling.amazonaws.com', 'application-autoscaling.amazonaws.com.cn', 'dax.amazonaws.com'] } } }),
      ],
    },
  },
  {
    name: 'AWSLambda_FullAccess', path: '/', id: 'ANPAZKAPJZG4BXRNGLJOM', description: 'Grants full access to AWS Lambda service, AWS Lambda console features, and other related AWS services.',
    version: 'v2', created: '2020-11-17T21:14:00Z', updated: '2025-03-17T21:37:00Z',
    document: {
      Version: '2012-10-17',
      Statement: [
        allow([
          'cloudformation:DescribeStacks', 'cloudformation:ListStackResources', 'cloudwatch:ListMetrics', 'cloudwatch:GetMetricData', 'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'kms:ListAliases', 'iam:GetPolicy', 'iam:GetPolicyVersion', 'iam:GetRole', 'iam:GetRolePolicy',
          'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:ListRoles', 'lambda:*', 'logs:DescribeLogGroups', 'states:DescribeStateMachine',
          'states:ListStateMachines', 'tag:GetResources', 'xray:GetTraceSummaries', 'xray:BatchGetTraces',
        ]),
        allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } } }),
        allow(['logs:DescribeLogStreams', 'logs:GetLogEvents', 'logs:FilterLogEvents', 'logs:StartLiveTail', 'logs:StopLiveTail'], 'arn:aws:logs:*:*:log-group:/aws/lambda/*'),
      ],
    },
  },
];

export const awsManagedArn = (p: AwsManagedPolicy): string => `arn:aws:iam::aws:policy${p.path}${p.name}`;

const BY_ARN = new Map(AWS_MANAGED.map((p) => [awsManagedArn(p), p]));
export const awsManaged = (arn: string): AwsManagedPolicy | undefined => BY_ARN.get(arn);
