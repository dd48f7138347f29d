// Function names, ARNs and qualifiers in every form Lambda accepts, parsed and validated as AWS does.
import { AwsError } from '../../lib/errors.js';

/** The functionName pattern AWS's messages name (recorded in 2025–2026; newer than the machine's botocore model). */
export const FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
/** Invoke's own, looser pattern (dots in names, `$LATEST.PUBLISHED`). */
export const INVOKE_FUNCTION_NAME_PATTERN =
  '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
const patternRegex = new Map<string, RegExp>();
const QUALIFIER_RE = /^(|[a-zA-Z0-9$_-]+)$/;

export interface FunctionRef {
  name: string;
  qualifier?: string;
  region?: string;
  accountId?: string;
}

export function validationError(field: string, value: unknown, constraint: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`, {
    status: 400,
  });
}

/** Parses `name`, `name:qualifier`, `123456789012:function:name[:q]` or a full ARN. */
export function parseFunctionRef(input: string, maxLength = 170, field = 'functionName', pattern = FUNCTION_NAME_PATTERN): FunctionRef {
  if (input.length < 1 || input.length > maxLength) {
    throw validationError(field, input, `Member must have length ${input.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${maxLength}`}`);
  }
  // A plain name (the common case, and every invoke's hot path) satisfies each pattern without its regex's backtracking.
  if (PLAIN_NAME.test(input)) {
    if (input.length > 64) throw overLongName(input, field);
    return { name: input, qualifier: undefined };
  }
  let re = patternRegex.get(pattern);
  if (!re) patternRegex.set(pattern, (re = new RegExp(`^${pattern}$`)));
  if (!re.test(input)) {
    throw validationError(field, input, `Member must satisfy regular expression pattern: ${pattern}`);
  }
  const parts = input.split(':');
  let ref: FunctionRef;
  if (parts[0] === 'arn') {
    // arn:aws:lambda:region:account:function:name[:qualifier]
    if (parts.length < 7 || parts[5] !== 'function') throw invalidArn(input);
    ref = { region: parts[3], accountId: parts[4], name: parts[6]!, qualifier: parts[7] };
  } else if (parts.length >= 3 && parts[1] === 'function') {
    ref = { accountId: parts[0], name: parts[2]!, qualifier: parts[3] };
  } else if (parts.length <= 2) {
    ref = { name: parts[0]!, qualifier: parts[1] };
  } else {
    throw invalidArn(input);
  }
  if (ref.name.length > 64) throw overLongName(input, field);
  return ref;
}

const PLAIN_NAME = /^[a-zA-Z0-9_-]+$/;

/** AWS answers an over-long name with InvalidParameterValueException, in the words of a validation error. */
const overLongName = (input: string, field: string): AwsError =>
  new AwsError('InvalidParameterValueException', `1 validation error detected: Value '${input}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to 64`);

function invalidArn(input: string): AwsError {
  return new AwsError('InvalidParameterValueException', `Invalid function name or ARN: ${input}`);
}

/** Resolves the qualifier from the path (`name:q`) and `?Qualifier=`; AWS rejects the two when they disagree. */
export function combineQualifier(ref: FunctionRef, queryQualifier: string | null | undefined): string | undefined {
  const q = queryQualifier ?? undefined;
  if (q !== undefined && !QUALIFIER_RE.test(q)) {
    throw validationError('qualifier', q, 'Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)');
  }
  if (ref.qualifier !== undefined && q !== undefined && q !== '' && ref.qualifier !== q) {
    throw new AwsError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return ref.qualifier ?? (q === '' ? undefined : q);
}

export function functionArn(region: string, accountId: string, name: string, qualifier?: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}
