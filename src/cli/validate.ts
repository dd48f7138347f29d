// `selfless validate TEMPLATE`: "TEMPLATE is a valid SAM Template" (exit 0), or every error on its own line (exit 1).
import { InvalidDocumentError, TemplateFormatError, transformSam } from '../services/cloudformation/index.js';
import { validateTemplate } from '../services/cloudformation/template/index.js';
import { loadTemplate, type Loaded } from './transform.js';
import type { Parsed } from './options.js';

export const VALIDATE_USAGE = `usage: selfless validate TEMPLATE [--region R] [--parameter-overrides K=V [K=V …]]

Checks TEMPLATE locally (no server, no network): runs the SAM transform, then checks the CloudFormation template it
gives (or TEMPLATE itself, without the transform) as CloudFormation's ValidateTemplate does: references, conditions,
parameters, intrinsic functions, dependency cycles. Prints "TEMPLATE is a valid SAM Template" and exits 0, or prints
each error (naming the resource and property) and exits 1.
`;

export function validate(p: Parsed): number {
  if (p.flags.has('help')) {
    process.stdout.write(VALIDATE_USAGE);
    return 0;
  }
  let loaded: Loaded;
  try {
    loaded = loadTemplate(p, VALIDATE_USAGE);
  } catch (e) {
    if (e instanceof TemplateFormatError) {
      process.stderr.write(`${p.positional[0]}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  let out;
  try {
    out = transformSam(loaded.template, loaded.options);
  } catch (e) {
    if (!(e instanceof InvalidDocumentError)) throw e;
    process.stderr.write(`${loaded.file}: Invalid Serverless Application Specification document. Number of errors found: ${e.causes.length}.\n`);
    for (const c of e.causes) process.stderr.write(`  ${c.message}\n`);
    return 1;
  }
  const parameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(loaded.options.parameterOverrides ?? {})) parameters[k] = typeof v === 'string' ? v : JSON.stringify(v);
  const { errors } = validateTemplate(out, { parameters });
  if (errors.length > 0) {
    process.stderr.write(`${loaded.file}: ${errors.length} CloudFormation template error${errors.length === 1 ? '' : 's'}:\n`);
    for (const err of errors) process.stderr.write(`  ${err.message}\n`);
    return 1;
  }
  process.stdout.write(`${loaded.file} is a valid SAM Template\n`);
  return 0;
}
