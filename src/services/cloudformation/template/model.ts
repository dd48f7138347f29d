// The typed model of a template: parses the JSON tree once, checking each section's shape in CloudFormation's words.
//
// Hand-written checks rather than a schema library: CloudFormation's messages follow no schema library's shape
// (some carry a JSON pointer, some the name, one has no prefix at all), and the model must keep going after an
// error so that `validateTemplate` can report every problem.
import { ErrorList } from './errors.js';
import { M } from './messages.js';
import { parseParameterDecl, type ParameterDecl } from './parameters.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ResourceDecl {
  logicalId: string;
  type: string;
  properties: JsonObject;
  dependsOn: string[];
  condition?: string;
  deletionPolicy?: Json;
  updateReplacePolicy?: Json;
  metadata?: Json;
  creationPolicy?: Json;
  updatePolicy?: Json;
  version?: Json;
}

export interface OutputDecl {
  name: string;
  value: Json;
  description?: Json;
  /** The Export.Name expression, when the output is exported. */
  exportName?: Json;
  condition?: string;
}

/** A mapping: top-level key → second-level key → value (a string or a list, as CloudFormation allows). */
export type Mapping = Map<string, Map<string, Json>>;

export interface Template {
  formatVersion?: string;
  description?: string;
  metadata?: Json;
  parameters: Map<string, ParameterDecl>;
  rules?: Json;
  mappings: Map<string, Mapping>;
  /** Condition name → its (unevaluated) expression. */
  conditions: Map<string, Json>;
  /** Transforms declared at the top level, in order (`AWS::Serverless-2016-10-31`, `AWS::LanguageExtensions`, macros). */
  transforms: string[];
  resources: Map<string, ResourceDecl>;
  outputs: Map<string, OutputDecl>;
  hooks?: Json;
}

export const TOP_LEVEL = ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Hooks'];
/** The attributes a resource may carry (cfn-lint's data/schemas/other/resources/configuration.json). */
const RESOURCE_KEYS = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy', 'Version']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
const UPDATE_REPLACE_POLICIES = new Set(['Delete', 'Retain', 'Snapshot']);
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;
/** CloudFormation's quota of resources per stack. */
const MAX_RESOURCES = 500;
/** Export names: alphanumerics, colons and hyphens (CloudFormation's Output message). */
export const EXPORT_NAME = /^[A-Za-z0-9:-]+$/;

/** Parses the tree into a Template, collecting every structural error; the template is usable as far as it parsed. */
export function parseModel(tree: unknown, errors: ErrorList = new ErrorList()): { template: Template; errors: ErrorList } {
  const t: Template = { parameters: new Map(), mappings: new Map(), conditions: new Map(), transforms: [], resources: new Map(), outputs: new Map() };
  if (!isObj(tree)) {
    errors.add(M.noResources());
    return { template: t, errors };
  }
  const unknown = Object.keys(tree).filter((k) => !TOP_LEVEL.includes(k));
  if (unknown.length) errors.add(M.invalidTopLevel(unknown));

  const v = tree['AWSTemplateFormatVersion'];
  if (v !== undefined) {
    // YAML reads an unquoted 2010-09-09 as a string, but a JSON/YAML date-like value may arrive otherwise.
    if (String(v) !== '2010-09-09') errors.add(M.unsupportedVersion());
    else t.formatVersion = '2010-09-09';
  }
  if (typeof tree['Description'] === 'string') t.description = tree['Description'];
  if (tree['Metadata'] !== undefined) t.metadata = tree['Metadata'];
  if (tree['Rules'] !== undefined) t.rules = tree['Rules'];
  if (tree['Hooks'] !== undefined) t.hooks = tree['Hooks'];
  t.transforms = transformsOf(tree['Transform']);

  const params = tree['Parameters'];
  if (isObj(params)) {
    for (const [name, decl] of Object.entries(params)) {
      if (!ALPHANUMERIC.test(name)) {
        errors.add(M.parameterNameNotAlphanumeric(name));
        continue;
      }
      const p = errors.capture(() => parseParameterDecl(name, decl, errors));
      if (p) t.parameters.set(name, p);
    }
  }
  parseMappings(tree['Mappings'], t, errors);
  const conds = tree['Conditions'];
  if (isObj(conds)) for (const [name, expr] of Object.entries(conds)) t.conditions.set(name, expr);
  parseResources(tree['Resources'], t, errors);
  parseOutputs(tree['Outputs'], t, errors);
  return { template: t, errors };
}

export function transformsOf(v: Json | undefined): string[] {
  const items = Array.isArray(v) ? v : v === undefined ? [] : [v];
  const out: string[] = [];
  for (const i of items) {
    if (typeof i === 'string') out.push(i);
    else if (isObj(i) && typeof i['Name'] === 'string') out.push(i['Name']);
  }
  return out;
}

function parseMappings(v: Json | undefined, t: Template, errors: ErrorList): void {
  if (v === undefined) return;
  if (!isObj(v)) {
    errors.add(M.mappingNotMap('Mappings', '/Mappings'));
    return;
  }
  for (const [name, top] of Object.entries(v)) {
    if (!isObj(top)) {
      errors.add(M.mappingNotMap(name, `/Mappings/${name}`));
      continue;
    }
    const m: Mapping = new Map();
    for (const [k1, second] of Object.entries(top)) {
      if (!isObj(second)) {
        errors.add(M.mappingNotMap(k1, `/Mappings/${name}/${k1}`));
        continue;
      }
      const inner = new Map<string, Json>();
      for (const [k2, value] of Object.entries(second)) {
        const ok = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || (Array.isArray(value) && value.every((x) => typeof x !== 'object' || x === null));
        if (!ok) errors.add(M.mappingAttribute(`/Mappings/${name}/${k1}/${k2}`));
        else inner.set(k2, value);
      }
      m.set(k1, inner);
    }
    t.mappings.set(name, m);
  }
}

function parseResources(v: Json | undefined, t: Template, errors: ErrorList): void {
  if (!isObj(v) || Object.keys(v).length === 0) {
    errors.add(M.noResources());
    return;
  }
  const count = Object.keys(v).length;
  if (count > MAX_RESOURCES) errors.add(M.tooManyResources(count));
  for (const [id, r] of Object.entries(v)) {
    if (!ALPHANUMERIC.test(id)) {
      errors.add(M.resourceNameNotAlphanumeric(id));
      continue;
    }
    if (!isObj(r)) {
      errors.add(M.resourceNotObject(id));
      continue;
    }
    if (typeof r['Type'] !== 'string' || r['Type'] === '') {
      errors.add(M.resourceNoType(id));
      continue;
    }
    for (const k of Object.keys(r)) if (!RESOURCE_KEYS.has(k)) errors.add(M.invalidResourceProperty(id, k));
    findNulls(r['Properties'], `/Resources/${id}/Properties`, errors);
    const decl: ResourceDecl = { logicalId: id, type: r['Type'], properties: isObj(r['Properties']) ? r['Properties'] : {}, dependsOn: [] };
    const dep = r['DependsOn'];
    if (typeof dep === 'string') decl.dependsOn = [dep];
    else if (Array.isArray(dep) && dep.every((d): d is string => typeof d === 'string')) decl.dependsOn = dep;
    else if (dep !== undefined) errors.add(M.dependsOnShape(id));
    if (typeof r['Condition'] === 'string') decl.condition = r['Condition'];
    else if (r['Condition'] !== undefined) errors.add(M.conditionNotString());
    const dp = r['DeletionPolicy'];
    if (typeof dp === 'string' && !DELETION_POLICIES.has(dp)) errors.add(M.unknownDeletionPolicy(dp, id));
    const urp = r['UpdateReplacePolicy'];
    if (typeof urp === 'string' && !UPDATE_REPLACE_POLICIES.has(urp)) errors.add(M.unknownUpdateReplacePolicy(urp, id));
    if (dp !== undefined) decl.deletionPolicy = dp;
    if (urp !== undefined) decl.updateReplacePolicy = urp;
    if (r['Metadata'] !== undefined) decl.metadata = r['Metadata'];
    if (r['CreationPolicy'] !== undefined) decl.creationPolicy = r['CreationPolicy'];
    if (r['UpdatePolicy'] !== undefined) decl.updatePolicy = r['UpdatePolicy'];
    if (r['Version'] !== undefined) decl.version = r['Version'];
    t.resources.set(id, decl);
  }
}

function parseOutputs(v: Json | undefined, t: Template, errors: ErrorList): void {
  if (!isObj(v)) return;
  for (const [name, o] of Object.entries(v)) {
    if (!ALPHANUMERIC.test(name)) {
      errors.add(M.outputNameNotAlphanumeric(name));
      continue;
    }
    if (!isObj(o) || !('Value' in o)) {
      errors.add(M.outputNoValue(name));
      continue;
    }
    if (o['Value'] === null) {
      errors.add(M.nullValue(`/Outputs/${name}/Value`));
      continue;
    }
    findNulls(o['Value'], `/Outputs/${name}/Value`, errors);
    const decl: OutputDecl = { name, value: o['Value'] as Json };
    if (o['Description'] !== undefined) decl.description = o['Description'];
    if (o['Export'] !== undefined) {
      const ex = o['Export'];
      const exName = isObj(ex) ? ex['Name'] : undefined;
      if (exName === undefined || exName === null || (typeof exName === 'string' && !EXPORT_NAME.test(exName)) || typeof exName === 'number' || typeof exName === 'boolean') {
        errors.add(M.outputExportMalformed(name));
      } else decl.exportName = exName;
    }
    if (typeof o['Condition'] === 'string') decl.condition = o['Condition'];
    else if (o['Condition'] !== undefined) errors.add(M.conditionNotString());
    t.outputs.set(name, decl);
  }
}

/** CloudFormation refuses a null anywhere in a value, naming its JSON pointer. */
function findNulls(v: Json | undefined, path: string, errors: ErrorList): void {
  if (v === null) errors.add(M.nullValue(path));
  else if (Array.isArray(v)) v.forEach((x, i) => findNulls(x, `${path}/${i}`, errors));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) findNulls(x, `${path}/${k}`, errors);
}
