// What a template asks of its caller: capabilities, resource types, and GetTemplateSummary's answer.
import type { Template } from './model.js';

export interface ValidateParameter {
  ParameterKey: string;
  DefaultValue?: string;
  NoEcho: boolean;
  Description?: string;
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

/** Custom resources are any provider's, so never unrecognized. */
const isCustom = (type: string): boolean => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

/** The resource types, in order of first use, that `isKnownType` does not know. */
export function unknownTypes(t: Template, isKnownType: (type: string) => boolean): string[] {
  const out: string[] = [];
  for (const r of t.resources.values()) if (!isCustom(r.type) && !isKnownType(r.type) && !out.includes(r.type)) out.push(r.type);
  return out;
}

/** GetTemplateSummary's answer for a template (what the console shows before CreateStack). */
export interface TemplateSummary {
  Parameters: Array<ValidateParameter & { ParameterType: string; ParameterConstraints: { AllowedValues?: string[] } }>;
  Description?: string;
  Capabilities?: string[];
  CapabilitiesReason?: string;
  ResourceTypes: string[];
  Version: string;
  Metadata?: string;
  DeclaredTransforms?: string[];
}

export function templateSummary(t: Template): TemplateSummary {
  const s: TemplateSummary = {
    Parameters: [...t.parameters.values()].map((p) => {
      const v: TemplateSummary['Parameters'][number] = { ParameterKey: p.name, ParameterType: p.type.raw, NoEcho: p.noEcho, ParameterConstraints: {} };
      if (p.default !== undefined) v.DefaultValue = p.default;
      if (p.description !== undefined) v.Description = p.description;
      if (p.allowedValues) v.ParameterConstraints.AllowedValues = p.allowedValues;
      return v;
    }),
    ResourceTypes: [...new Set([...t.resources.values()].map((r) => r.type))],
    Version: t.formatVersion ?? '2010-09-09',
  };
  if (t.description !== undefined) s.Description = t.description;
  const caps = requiredCapabilities(t);
  if (caps.capabilities.length) {
    s.Capabilities = caps.capabilities;
    s.CapabilitiesReason = caps.reason!;
  }
  // The API returns Metadata as the JSON text of the section.
  if (t.metadata !== undefined) s.Metadata = JSON.stringify(t.metadata);
  if (t.transforms.length) s.DeclaredTransforms = t.transforms;
  return s;
}

