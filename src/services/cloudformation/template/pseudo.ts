// Pseudo parameters and the region facts they derive from (partition, URL suffix, availability zones).

/** The stack an evaluation runs for: what the pseudo parameters answer. */
export interface StackContext {
  region: string;
  accountId: string;
  stackName: string;
  stackId: string;
  notificationArns?: string[];
}

/** The value of `Ref: AWS::NoValue`: the key or list element holding it is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');
export type NoValue = typeof NO_VALUE;

export const PSEUDO_PARAMETERS = [
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
] as const;

export const isPseudo = (name: string): boolean => (PSEUDO_PARAMETERS as readonly string[]).includes(name);

/** The partition a region belongs to, as AWS names them in ARNs. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  return 'aws';
}

/** The domain suffix of the region's endpoints. */
export function urlSuffixOf(region: string): string {
  const p = partitionOf(region);
  if (p === 'aws-cn') return 'amazonaws.com.cn';
  if (p === 'aws-iso') return 'c2s.ic.gov';
  if (p === 'aws-iso-b') return 'sc2s.sgov.gov';
  return 'amazonaws.com';
}

/** A selfless region has three availability zones, a, b and c. */
export const availabilityZones = (region: string): string[] => ['a', 'b', 'c'].map((z) => `${region}${z}`);

/** The value of a pseudo parameter, or undefined when `name` is not one. */
export function pseudoValue(name: string, s: StackContext): string | string[] | NoValue | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return s.accountId;
    case 'AWS::NotificationARNs':
      return s.notificationArns ?? [];
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::Partition':
      return partitionOf(s.region);
    case 'AWS::Region':
      return s.region;
    case 'AWS::StackId':
      return s.stackId;
    case 'AWS::StackName':
      return s.stackName;
    case 'AWS::URLSuffix':
      return urlSuffixOf(s.region);
    default:
      return undefined;
  }
}

/** A stack context for checks that run without a stack (ValidateTemplate, tests). */
export function placeholderStack(region = 'us-east-1', accountId = '000000000000', stackName = 'stack'): StackContext {
  return {
    region,
    accountId,
    stackName,
    stackId: `arn:${partitionOf(region)}:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    notificationArns: [],
  };
}
