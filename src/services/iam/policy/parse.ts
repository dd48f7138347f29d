// Parsing a policy document once into the typed tree, refusing what IAM refuses with IAM's MalformedPolicyDocument words.
//
// Sources for the grammar and the messages:
// - IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM JSON policy language"
//   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html): top-level Version/Id/Statement,
//   statement Sid/Effect/Principal/NotPrincipal/Action/NotAction/Resource/NotResource/Condition, a single value or an array.
// - "IAM JSON policy elements: Version" (reference_policies_elements_version.html): 2012-10-17 or 2008-10-17; a missing
//   Version means 2008-10-17, in which policy variables are plain text.
// - The messages are IAM's own answers as users report them: "This policy contains invalid Json", "Syntax errors in
//   policy.", "The policy failed legacy parsing" (also for a miscased Effect, hashicorp/terraform#10057), "Policy
//   statement must contain actions.", "Policy statement must contain resources." (aws-samples/aws-health-aware#1),
//   "Policy document should not specify a principal." (hashicorp/terraform#13449), "Has prohibited field
//   Principal" / "Missing required field Principal" (humanmade/S3-Uploads#191), "Invalid principal in policy: ..."
//   (hashicorp/terraform-provider-aws#8905), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
//   "Statement IDs (SID) in a single policy must be unique.".
// - Size quotas: "IAM and AWS STS quotas" (reference_iam-quotas.html): inline policies of a user 2,048, group 5,120,
//   role 10,240 characters, a managed policy 6,144, whitespace not counted; IAM answers LimitExceeded
//   "Maximum policy size of 2048 bytes exceeded for user <name>" (ministryofjustice/cloud-platform-environments#5302)
//   and "Cannot exceed quota for PolicySize: 6144".
import { PolicyError, type PolicyDocument, type PolicyKind, type PrincipalMatch, type Statement } from './types.js';
import { isKnownOperator } from './conditions.js';

const TOP_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);

const SYNTAX = 'Syntax errors in policy.';
const VENDOR = 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';

/** Parse `text` as a policy of `kind`; throws PolicyError with IAM's MalformedPolicyDocument message. */
export function parsePolicy(text: string, kind: PolicyKind): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PolicyError('This policy contains invalid Json');
  }
  if (!isObject(raw)) throw new PolicyError('This policy contains invalid Json');
  for (const k of Object.keys(raw)) if (!TOP_KEYS.has(k)) throw new PolicyError(SYNTAX);

  let version: PolicyDocument['version'] = '2008-10-17';
  if (raw.Version !== undefined) {
    // An unknown Version sends IAM to its legacy parser, which refuses the document in these words.
    if (raw.Version !== '2012-10-17' && raw.Version !== '2008-10-17') throw new PolicyError('The policy failed legacy parsing');
    version = raw.Version;
  }
  let id: string | undefined;
  if (raw.Id !== undefined) {
    if (typeof raw.Id !== 'string') throw new PolicyError(SYNTAX);
    id = raw.Id;
  }
  const rawStatements = raw.Statement;
  if (rawStatements === undefined) throw new PolicyError(SYNTAX);
  const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  if (list.length === 0) throw new PolicyError(SYNTAX);

  const statements: Statement[] = [];
  const sids = new Set<string>();
  for (const s of list) {
    const st = parseStatement(s, kind);
    if (st.sid !== undefined && st.sid !== '') {
      if (sids.has(st.sid)) throw new PolicyError('Statement IDs (SID) in a single policy must be unique.');
      sids.add(st.sid);
    }
    statements.push(st);
  }
  return id === undefined ? { version, kind, statements } : { version, id, kind, statements };
}

function parseStatement(s: unknown, kind: PolicyKind): Statement {
  if (!isObject(s)) throw new PolicyError(SYNTAX);
  for (const k of Object.keys(s)) if (!STATEMENT_KEYS.has(k)) throw new PolicyError(SYNTAX);
  const out: { -readonly [K in keyof Statement]: Statement[K] } = { effect: 'Allow' };

  if (s.Sid !== undefined) {
    if (typeof s.Sid !== 'string') throw new PolicyError(SYNTAX);
    // IAM (identity and trust policies) allows only letters and digits; resource policies of other services allow
    // spaces and more (Lambda writes its permission's StatementId there), so only IAM's own kinds are checked.
    if (kind !== 'resource' && !/^[0-9A-Za-z]*$/.test(s.Sid)) {
      throw new PolicyError('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
    }
    out.sid = s.Sid;
  }
  // IAM answers a missing or miscased Effect ("allow") from its legacy parser (hashicorp/terraform#10057).
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyError('The policy failed legacy parsing');
  out.effect = s.Effect;

  if (s.Principal !== undefined && s.NotPrincipal !== undefined) throw new PolicyError(SYNTAX);
  if (kind === 'identity') {
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) throw new PolicyError('Policy document should not specify a principal.');
  } else {
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw new PolicyError('Missing required field Principal');
    if (s.Principal !== undefined) out.principal = parsePrincipal(s.Principal);
    if (s.NotPrincipal !== undefined) out.notPrincipal = parsePrincipal(s.NotPrincipal);
  }

  if (s.Action !== undefined && s.NotAction !== undefined) throw new PolicyError(SYNTAX);
  if (s.Action === undefined && s.NotAction === undefined) throw new PolicyError('Policy statement must contain actions.');
  const actions = strings(s.Action ?? s.NotAction);
  if (actions.length === 0) throw new PolicyError('Policy statement must contain actions.');
  for (const a of actions) checkAction(a);
  if (s.Action !== undefined) out.action = actions;
  else out.notAction = actions;

  if (s.Resource !== undefined && s.NotResource !== undefined) throw new PolicyError(SYNTAX);
  if (kind === 'trust') {
    // A role's trust policy names who may assume it; the role itself is the resource.
    if (s.Resource !== undefined) throw new PolicyError('Has prohibited field Resource');
    if (s.NotResource !== undefined) throw new PolicyError('Has prohibited field NotResource');
  } else {
    if (s.Resource === undefined && s.NotResource === undefined) throw new PolicyError('Policy statement must contain resources.');
    const resources = strings(s.Resource ?? s.NotResource);
    if (resources.length === 0) throw new PolicyError('Policy statement must contain resources.');
    for (const r of resources) {
      if (r !== '*' && !r.startsWith('arn:')) throw new PolicyError(`Resource ${r} must be in ARN format or "*".`);
    }
    if (s.Resource !== undefined) out.resource = resources;
    else out.notResource = resources;
  }

  if (s.Condition !== undefined) out.condition = parseCondition(s.Condition);
  return out;
}

function checkAction(a: string): void {
  if (a === '*') return;
  const colon = a.indexOf(':');
  if (colon <= 0) throw new PolicyError(VENDOR);
  if (a.indexOf(':', colon + 1) !== -1) throw new PolicyError('Actions/Condition can contain only one colon.');
  const vendor = a.slice(0, colon);
  if (!/^[A-Za-z0-9*?-]+$/.test(vendor)) throw new PolicyError(`Vendor ${vendor} is not valid`);
  if (colon === a.length - 1) throw new PolicyError(SYNTAX);
}

function parsePrincipal(p: unknown): PrincipalMatch {
  if (p === '*') return '*';
  if (!isObject(p)) throw new PolicyError(`Invalid principal in policy: ${JSON.stringify(p)}`);
  const out: Record<string, readonly string[]> = {};
  const types = Object.keys(p);
  if (types.length === 0) throw new PolicyError('Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!');
  for (const t of types) {
    if (!PRINCIPAL_TYPES.has(t)) throw new PolicyError(`Invalid principal in policy: ${JSON.stringify({ [t]: p[t] }).slice(1, -1)}`);
    const values = strings(p[t]);
    if (values.length === 0) throw new PolicyError('Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!');
    if (t === 'AWS') {
      for (const v of values) {
        // AWS principals are "*", a 12-digit account id, or an IAM/STS ARN; wildcards are not patterns here.
        // "You cannot use a wildcard to match part of a principal name or ARN" (reference_policies_elements_principal.html).
        if (v !== '*' && (v.includes('*') || (!/^\d{12}$/.test(v) && !/^arn:[a-z-]+:(iam|sts)::\d{12}:.+/.test(v)))) {
          throw new PolicyError(`Invalid principal in policy: "AWS":"${v}"`);
        }
      }
    }
    out[t] = values;
  }
  return out;
}

function parseCondition(c: unknown): NonNullable<Statement['condition']> {
  if (!isObject(c)) throw new PolicyError(SYNTAX);
  const out: Record<string, Record<string, readonly string[]>> = {};
  for (const [op, block] of Object.entries(c)) {
    if (!isKnownOperator(op)) throw new PolicyError(`Invalid Condition type : ${op}`);
    if (!isObject(block)) throw new PolicyError(SYNTAX);
    const keys: Record<string, readonly string[]> = {};
    for (const [key, value] of Object.entries(block)) {
      if (!key.includes(':')) throw new PolicyError(VENDOR);
      keys[key] = scalars(value);
    }
    out[op] = keys;
  }
  return out;
}

/** A single string or an array of strings, normalised to an array. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new PolicyError(SYNTAX);
}

/** Condition values may be strings, numbers or booleans (`"Bool": {"aws:SecureTransport": false}`); compared as text. */
function scalars(v: unknown): string[] {
  const one = (x: unknown): string => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw new PolicyError(SYNTAX);
  };
  return Array.isArray(v) ? v.map(one) : [one(v)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Who a policy's size is counted against: an entity's inline policies (all of them together) or one managed policy. */
export type PolicySizeKind = 'user' | 'group' | 'role' | 'managed';

/** IAM's size quotas in characters, whitespace not counted (reference_iam-quotas.html). */
export const POLICY_SIZE_LIMITS: Readonly<Record<PolicySizeKind, number>> = { user: 2048, group: 5120, role: 10240, managed: 6144 };

/** A policy's size as IAM counts it: characters other than whitespace. */
export function policySize(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/.test(ch)) n++;
  return n;
}

/**
 * The LimitExceeded message when `size` (the sum over an entity's inline policies, or one managed policy) is over
 * the quota of `kind`; undefined when within it. The caller knows the kind and the entity's name.
 */
export function policySizeError(kind: PolicySizeKind, size: number, entityName = ''): string | undefined {
  const limit = POLICY_SIZE_LIMITS[kind];
  if (size <= limit) return undefined;
  if (kind === 'managed') return `Cannot exceed quota for PolicySize: ${limit}`;
  return `Maximum policy size of ${limit} bytes exceeded for ${kind} ${entityName}`;
}
