// Parameters: their declared types and constraints, and the values a stack operation resolves them to.
import { ErrorList, TemplateError } from './errors.js';
import { M } from './messages.js';
import type { Json } from './model.js';

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** AWS-specific types: CloudFormation checks that the named thing exists in the account; selfless treats them as strings. */
const AWS_SPECIFIC = [
  'AWS::EC2::AvailabilityZone::Name',
  'AWS::EC2::Image::Id',
  'AWS::EC2::Instance::Id',
  'AWS::EC2::KeyPair::KeyName',
  'AWS::EC2::SecurityGroup::GroupName',
  'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::Subnet::Id',
  'AWS::EC2::Volume::Id',
  'AWS::EC2::VPC::Id',
  'AWS::Route53::HostedZone::Id',
];
/** The list forms (there is no List<AWS::EC2::KeyPair::KeyName>); the whole set is cfn-lint's (helpers.py VALID_PARAMETER_TYPES). */
const AWS_SPECIFIC_LISTS = AWS_SPECIFIC.filter((t) => t !== 'AWS::EC2::KeyPair::KeyName').map((t) => `List<${t}>`);
const SSM_INNER = ['String', 'Number', 'List<String>', 'List<Number>', 'CommaDelimitedList', 'AWS::SSM::Parameter::Name', ...AWS_SPECIFIC, ...AWS_SPECIFIC_LISTS];
const SSM_PREFIX = 'AWS::SSM::Parameter::Value<';

export interface ParameterType {
  /** As written in the template. */
  raw: string;
  /** The value is a list of strings (CommaDelimitedList, List<…>, SSM lists). */
  list: boolean;
  /** Each value (or item) must be a number (Number, List<Number>). */
  number: boolean;
  /** The value given is the name of an SSM parameter whose value is used. */
  ssm: boolean;
}

export interface ParameterDecl {
  name: string;
  type: ParameterType;
  default?: string;
  allowedValues?: string[];
  allowedPattern?: string;
  minLength?: number;
  maxLength?: number;
  minValue?: number;
  maxValue?: number;
  noEcho: boolean;
  description?: string;
  constraintDescription?: string;
}

/** A resolved value: a string, or a list of strings for the list types. */
export type ParameterValue = string | string[];

/** Looks an SSM parameter up by name: its value (a StringList as its comma-joined text), or undefined when absent. */
export type SsmResolver = (name: string) => string | undefined;

export function parseParameterType(raw: string): ParameterType | undefined {
  if (raw === 'String' || raw === 'AWS::SSM::Parameter::Name' || AWS_SPECIFIC.includes(raw)) return { raw, list: false, number: false, ssm: false };
  if (raw === 'Number') return { raw, list: false, number: true, ssm: false };
  if (raw === 'List<Number>') return { raw, list: true, number: true, ssm: false };
  if (raw === 'CommaDelimitedList' || raw === 'List<String>' || AWS_SPECIFIC_LISTS.includes(raw)) return { raw, list: true, number: false, ssm: false };
  if (raw.startsWith(SSM_PREFIX) && raw.endsWith('>')) {
    const inner = raw.slice(SSM_PREFIX.length, -1);
    // The SSM value is checked as the inner type would be, once fetched.
    if (SSM_INNER.includes(inner)) return { raw, list: inner === 'CommaDelimitedList' || inner.startsWith('List<'), number: inner === 'Number' || inner === 'List<Number>', ssm: true };
  }
  return undefined;
}

const scalar = (v: Json | undefined): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

function num(v: Json | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Parses one declaration; throws for a missing or unknown Type, records lesser problems in `errors`. */
export function parseParameterDecl(name: string, decl: Json, errors: ErrorList): ParameterDecl {
  if (!isObj(decl) || typeof decl['Type'] !== 'string') throw M.parameterNoType(name);
  const type = parseParameterType(decl['Type']);
  if (!type) throw M.unknownParameterType(decl['Type'], name);
  const p: ParameterDecl = { name, type, noEcho: decl['NoEcho'] === true || decl['NoEcho'] === 'true' };
  if (decl['Default'] !== undefined) {
    // YAML reads `Default: 3` as a number; CloudFormation's own YAML reader keeps scalars as text, so accept them.
    const d = scalar(decl['Default']);
    if (d === undefined) errors.add(M.defaultNotString(name));
    else p.default = d;
  }
  const av = decl['AllowedValues'];
  if (av !== undefined) {
    const items = Array.isArray(av) ? av.map(scalar) : [];
    if (!Array.isArray(av) || items.some((i) => i === undefined)) errors.add(M.allowedValueNotString(name));
    else p.allowedValues = items as string[];
  }
  if (typeof decl['AllowedPattern'] === 'string') {
    p.allowedPattern = decl['AllowedPattern'];
    if (!compilePattern(p.allowedPattern)) errors.add(M.badPattern(name));
  }
  const ints: Array<['MinLength' | 'MaxLength' | 'MinValue' | 'MaxValue', 'minLength' | 'maxLength' | 'minValue' | 'maxValue']> = [
    ['MinLength', 'minLength'],
    ['MaxLength', 'maxLength'],
    ['MinValue', 'minValue'],
    ['MaxValue', 'maxValue'],
  ];
  for (const [key, field] of ints) {
    const n = num(decl[key]);
    if (n !== undefined) p[field] = n;
  }
  if ((p.minValue !== undefined || p.maxValue !== undefined) && !type.number) errors.add(M.constraintWrongType(name, p.minValue !== undefined ? 'MinValue' : 'MaxValue', 'Number'));
  if ((p.minLength !== undefined || p.maxLength !== undefined) && type.number) errors.add(M.constraintWrongType(name, p.minLength !== undefined ? 'MinLength' : 'MaxLength', 'String'));
  if (typeof decl['Description'] === 'string') p.description = decl['Description'];
  if (typeof decl['ConstraintDescription'] === 'string') p.constraintDescription = decl['ConstraintDescription'];
  return p;
}

/** CloudFormation matches the whole value against AllowedPattern (Java's `matches`). */
function compilePattern(p: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${p})$`, 'u');
  } catch {
    try {
      return new RegExp(`^(?:${p})$`);
    } catch {
      return undefined;
    }
  }
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Splits a list parameter's text: one more item than commas, each item space-trimmed (CloudFormation's documented rule). */
export const splitList = (v: string): string[] => v.split(',').map((s) => s.trim());

/** The first constraint the value breaks, or undefined. */
export function checkValue(p: ParameterDecl, value: string): TemplateError | undefined {
  const fail = (e: TemplateError): TemplateError => (p.constraintDescription !== undefined ? M.constraintFailed(p.name, p.constraintDescription) : e);
  const items = p.type.list ? splitList(value) : [value];
  for (const item of items) {
    if (p.type.number) {
      if (!NUMBER.test(item.trim())) return M.notANumber(p.name);
      const n = Number(item);
      if (p.minValue !== undefined && n < p.minValue) return fail(M.tooSmall(p.name, p.minValue));
      if (p.maxValue !== undefined && n > p.maxValue) return fail(M.tooBig(p.name, p.maxValue));
    }
    if (p.allowedValues && !p.allowedValues.includes(item)) return fail(M.notAllowedValue(p.name));
  }
  if (!p.type.number && !p.type.list) {
    // Length counts characters as Java does (UTF-16 code units).
    if (p.minLength !== undefined && value.length < p.minLength) return fail(M.tooShort(p.name, p.minLength));
    if (p.maxLength !== undefined && value.length > p.maxLength) return fail(M.tooLong(p.name, p.maxLength));
  }
  if (p.allowedPattern !== undefined && !p.type.number) {
    const re = compilePattern(p.allowedPattern);
    if (re && !items.every((i) => re.test(i))) return fail(M.patternMismatch(p.name, p.allowedPattern));
  }
  return undefined;
}

export interface ResolvedParameters {
  values: Map<string, ParameterValue>;
  /** SSM parameter types: parameter name → the SSM parameter name it was given (DescribeStacks' ResolvedValue shows the value). */
  ssmNames: Map<string, string>;
  errors: TemplateError[];
}

/**
 * Resolves every declared parameter from the values given (as the API passes them, strings) and the defaults.
 * Errors are collected in CloudFormation's order: unknown names, missing values, then each value's constraints.
 */
export function resolveParameters(decls: Map<string, ParameterDecl>, given: Record<string, string | undefined> = {}, ssm?: SsmResolver): ResolvedParameters {
  const out: ResolvedParameters = { values: new Map(), ssmNames: new Map(), errors: [] };
  const unknown = Object.keys(given).filter((k) => given[k] !== undefined && !decls.has(k));
  if (unknown.length) out.errors.push(M.parametersDoNotExist(unknown));
  const missing: string[] = [];
  const ssmMissing: string[] = [];
  for (const p of decls.values()) {
    const raw = given[p.name] ?? p.default;
    if (raw === undefined) {
      missing.push(p.name);
      continue;
    }
    let text = raw;
    if (p.type.ssm) {
      out.ssmNames.set(p.name, raw);
      const v = ssm?.(raw);
      if (v === undefined) {
        ssmMissing.push(raw);
        continue;
      }
      text = v;
    }
    const bad = checkValue(p, text);
    if (bad) {
      out.errors.push(bad);
      continue;
    }
    out.values.set(p.name, p.type.list ? splitList(text) : text);
  }
  if (missing.length) out.errors.splice(unknown.length ? 1 : 0, 0, M.parametersMustHaveValues(missing));
  if (ssmMissing.length) out.errors.push(M.ssmNotFound(ssmMissing));
  return out;
}
