// validateTemplate: every error a template has, and the ValidateTemplate API's answer for it.
import { ErrorList, type TemplateError } from './errors.js';
import { expandForEach, LANGUAGE_EXTENSIONS, usesForEach } from './foreach.js';
import { isObj, parseModel, type Template } from './model.js';
import type { ParameterValue } from './parameters.js';
import { checkTemplate } from './prepare.js';
import { placeholderStack, type StackContext } from './pseudo.js';
import { splitList } from './parameters.js';

export interface ValidateParameter {
  ParameterKey: string;
  DefaultValue?: string;
  NoEcho: boolean;
  Description?: string;
}

/** The ValidateTemplate response's members, as the API names them. */
export interface ValidateTemplateOutput {
  Parameters: ValidateParameter[];
  Description?: string;
  Capabilities?: string[];
  CapabilitiesReason?: string;
  DeclaredTransforms?: string[];
}

export interface ValidateOptions {
  stack?: StackContext;
  /** Values for Fn::ForEach collections that name parameters (defaults are used otherwise). */
  parameters?: Record<string, string>;
  /** Attribute names per resource type (the resource providers know theirs); GetAtt of an unknown one is reported. */
  attributesOf?(type: string): readonly string[] | undefined;
}

export interface ValidateResult {
  /** Every problem found, in the order found; empty when the template is valid. */
  errors: TemplateError[];
  /** The API's answer (meaningful when `errors` is empty; CloudFormation then answers the first error instead). */
  output: ValidateTemplateOutput;
  template: Template;
}

/** The IAM resource types that need CAPABILITY_IAM, and the property that gives one a custom name (NAMED_IAM). */
const IAM_TYPES: Record<string, string | undefined> = {
  'AWS::IAM::AccessKey': undefined,
  'AWS::IAM::Group': 'GroupName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::Policy': undefined,
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::User': 'UserName',
  'AWS::IAM::UserToGroupAddition': undefined,
};

export interface CapabilityNeeds {
  capabilities: Array<'CAPABILITY_IAM' | 'CAPABILITY_NAMED_IAM'>;
  /** "The following resource(s) require capabilities: [AWS::IAM::Role]" (recorded from AWS). */
  reason?: string;
}

/** The capabilities creating the template's resources needs (the engine refuses CreateStack without them). */
export function requiredCapabilities(t: Template): CapabilityNeeds {
  const types: string[] = [];
  let named = false;
  for (const r of t.resources.values()) {
    if (!(r.type in IAM_TYPES)) continue;
    if (!types.includes(r.type)) types.push(r.type);
    const nameProp = IAM_TYPES[r.type];
    if (nameProp !== undefined && r.properties[nameProp] !== undefined) named = true;
  }
  if (!types.length) return { capabilities: [] };
  return { capabilities: [named ? 'CAPABILITY_NAMED_IAM' : 'CAPABILITY_IAM'], reason: `The following resource(s) require capabilities: [${types.join(', ')}]` };
}

export function validateTemplate(tree: unknown, o: ValidateOptions = {}): ValidateResult {
  const errors = new ErrorList();
  let t = parseModel(tree, new ErrorList()).template;
  if (isObj(tree) && t.transforms.includes(LANGUAGE_EXTENSIONS) && usesForEach(tree)) {
    const values = new Map<string, ParameterValue>();
    for (const p of t.parameters.values()) {
      const v = o.parameters?.[p.name] ?? p.default;
      if (v !== undefined) values.set(p.name, p.type.list ? splitList(v) : v);
    }
    const expanded = errors.capture(() => expandForEach(tree, { stack: o.stack ?? placeholderStack(), parameters: values }));
    if (expanded) t = parseModel(expanded, errors).template;
  } else parseModel(tree, errors);
  if (isObj(tree)) checkTemplate(t, errors, o.attributesOf);

  const output: ValidateTemplateOutput = {
    Parameters: [...t.parameters.values()].map((p) => {
      const v: ValidateParameter = { ParameterKey: p.name, NoEcho: p.noEcho };
      if (p.default !== undefined) v.DefaultValue = p.default;
      if (p.description !== undefined) v.Description = p.description;
      return v;
    }),
  };
  if (t.description !== undefined) output.Description = t.description;
  const caps = requiredCapabilities(t);
  if (caps.capabilities.length) {
    output.Capabilities = caps.capabilities;
    output.CapabilitiesReason = caps.reason!;
  }
  if (t.transforms.length) output.DeclaredTransforms = t.transforms;
  return { errors: errors.items, output, template: t };
}
