// validateTemplate: every error a template has, and the ValidateTemplate API's answer for it.
import { ErrorList, type TemplateError } from './errors.js';
import { expandForEach, LANGUAGE_EXTENSIONS, usesForEach } from './foreach.js';
import { M } from './messages.js';
import { isObj, parseModel, type Template } from './model.js';
import { splitList, type ParameterValue } from './parameters.js';
import { checkTemplate } from './prepare.js';
import { placeholderStack, type StackContext } from './pseudo.js';
import { requiredCapabilities, unknownTypes, type ValidateParameter } from './summary.js';

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
  /** Whether a resource type is supported; when given, others are reported as unrecognized (custom resources always pass). */
  isKnownType?(type: string): boolean;
}

export interface ValidateResult {
  /** Every problem found, in the order found; empty when the template is valid. */
  errors: TemplateError[];
  /** The API's answer (meaningful when `errors` is empty; CloudFormation then answers the first error instead). */
  output: ValidateTemplateOutput;
  template: Template;
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
  if (o.isKnownType) {
    const unknown = unknownTypes(t, o.isKnownType);
    if (unknown.length) errors.add(M.unrecognizedResourceTypes(unknown));
  }

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
