// `selfless transform TEMPLATE`: prints the SAM template expanded to CloudFormation, as JSON; no server needed.
import { readFileSync } from 'node:fs';
import { InvalidDocumentError, readTemplate, TemplateFormatError, transformSam, type Json, type TransformOptions } from '../services/cloudformation/index.js';
import { str, UsageError, type Parsed } from './options.js';

export const TRANSFORM_USAGE = `usage: selfless transform TEMPLATE [--region R] [--account-id ID] [--parameter-overrides K=V [K=V …]]

Expands the AWS::Serverless-2016-10-31 transform of TEMPLATE (YAML or JSON) and prints the CloudFormation
template as JSON. Errors are printed as AWS SAM prints them; exit 1.
  --region R                  region for AWS::Region and ARNs (default $AWS_REGION, else us-east-1)
  --account-id ID             value for AWS::AccountId (left as a reference when absent)
  --parameter-overrides K=V   template parameter values (also ParameterKey=K,ParameterValue=V)
`;

/** K=V pairs from the flag's value and the positionals after the template (the flag takes several values). */
export function parameterOverrides(p: Parsed): Record<string, Json> {
  const raw: string[] = [];
  const flag = p.flags.get('parameter-overrides');
  if (flag === true) throw new UsageError('--parameter-overrides needs K=V values');
  if (typeof flag === 'string') raw.push(...flag.split(/\s+/).filter(Boolean));
  raw.push(...p.positional.slice(1));
  const out: Record<string, Json> = {};
  for (const item of raw) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(item);
    const eq = item.indexOf('=');
    if (long) out[long[1]!] = long[2]!;
    else if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else throw new UsageError(`--parameter-overrides: '${item}' is not K=V`);
  }
  return out;
}

export interface Loaded {
  file: string;
  options: TransformOptions;
  template: Json;
}

/** Reads and parses TEMPLATE with the common options; parse errors are CloudFormation's "Template format error". */
export function loadTemplate(p: Parsed, usage: string): Loaded {
  const file = p.positional[0];
  if (!file) throw new UsageError(usage.trimEnd());
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // An empty AWS_REGION counts as unset, as the AWS CLI treats it.
  const region = str(p, 'region', process.env['AWS_REGION'] ? 'AWS_REGION' : undefined, process.env['AWS_DEFAULT_REGION'] || 'us-east-1');
  const account = p.flags.get('account-id');
  const options: TransformOptions = { region, parameterOverrides: parameterOverrides(p) };
  if (typeof account === 'string') options.accountId = account;
  const read = readTemplate(text, file);
  if (read.integralFloats) options.integralFloats = read.integralFloats;
  return { file, options, template: read.template };
}

export function transform(p: Parsed): number {
  if (p.flags.has('help')) {
    process.stdout.write(TRANSFORM_USAGE);
    return 0;
  }
  let loaded: Loaded;
  try {
    loaded = loadTemplate(p, TRANSFORM_USAGE);
  } catch (e) {
    if (e instanceof TemplateFormatError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
  try {
    const out = transformSam(loaded.template, loaded.options);
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof InvalidDocumentError) {
      process.stderr.write(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
