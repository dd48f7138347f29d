// CloudFormation's wire handlers (query protocol, 2010-05-15): read the form, call the engine, answer AWS's XML.
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, ApiResponse, ServiceRoutes } from '../../server/types.js';
import { parseTemplate, type JsonObject } from './index.js';
import { parseModel, requiredCapabilities, templateSummary, validateTemplate } from './template/index.js';
import { validation, type ChangeSet, type Engine, type Stack } from './stack/engine.js';

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
const esc = (s: string): string => s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
const el = (tag: string, v: string | number | boolean | undefined): string => (v === undefined ? '' : `<${tag}>${esc(String(v))}</${tag}>`);
const members = (tag: string, items: string[]): string => `<${tag}>${items.map((x) => `<member>${x}</member>`).join('')}</${tag}>`;
const iso = (ms: number): string => new Date(ms).toISOString();

type Form = URLSearchParams;
const list = (f: Form, p: string): string[] => {
  const out: string[] = [];
  for (let i = 1; f.has(`${p}.member.${i}`); i++) out.push(f.get(`${p}.member.${i}`)!);
  return out;
};
const structs = (f: Form, p: string, keys: string[]): Record<string, string>[] => {
  const out: Record<string, string>[] = [];
  for (let i = 1; keys.some((k) => f.has(`${p}.member.${i}.${k}`)); i++) {
    const o: Record<string, string> = {};
    for (const k of keys) {
      const v = f.get(`${p}.member.${i}.${k}`);
      if (v !== null) o[k] = v;
    }
    out.push(o);
  }
  return out;
};
const need = (f: Form, name: string): string => {
  const v = f.get(name);
  if (v === null || v === '') throw validation(`1 validation error detected: Value null at '${name[0]!.toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must not be null`);
  return v;
};

interface Ctx {
  engine: Engine;
  region: string;
  now: () => number;
}

/** Template text from TemplateBody or TemplateURL (a URL of this server's S3). */
async function templateOf(f: Form, baseUrl: string): Promise<string | undefined> {
  const body = f.get('TemplateBody');
  if (body !== null) return body;
  const url = f.get('TemplateURL');
  if (url === null) return undefined;
  const u = new URL(url);
  const res = await fetch(`${baseUrl}${u.pathname}`);
  if (!res.ok) throw validation(`TemplateURL must be a supported URL.`);
  return res.text();
}

function parametersOf(f: Form, previous?: Stack): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of structs(f, 'Parameters', ['ParameterKey', 'ParameterValue', 'UsePreviousValue'])) {
    if (!p['ParameterKey']) continue;
    if (p['UsePreviousValue'] === 'true') {
      const prev = previous?.parameters[p['ParameterKey']];
      if (prev !== undefined) out[p['ParameterKey']] = prev;
    } else out[p['ParameterKey']] = p['ParameterValue'] ?? '';
  }
  return out;
}

const tagsOf = (f: Form): { Key: string; Value: string }[] => structs(f, 'Tags', ['Key', 'Value']).map((t) => ({ Key: t['Key'] ?? '', Value: t['Value'] ?? '' }));

/** Parameter values with the template's defaults, as DescribeStacks shows them (NoEcho as ****). */
function resolvedParameters(s: Stack): { key: string; value: string; resolved?: string }[] {
  const t = parseModel(s.processed).template;
  const out: { key: string; value: string; resolved?: string }[] = [];
  for (const p of t.parameters.values()) {
    const v = s.parameters[p.name] ?? p.default;
    if (v === undefined) continue;
    const item: { key: string; value: string; resolved?: string } = { key: p.name, value: p.noEcho ? '****' : String(v) };
    // SSM parameter types: the value given names the SSM parameter; ResolvedValue is what it held.
    const resolved = p.type.ssm ? s.ssm?.[String(v)] : undefined;
    if (resolved !== undefined) item.resolved = p.noEcho ? '****' : resolved;
    out.push(item);
  }
  return out;
}

function stackXml(s: Stack): string {
  return (
    el('StackId', s.id) +
    el('StackName', s.name) +
    el('Description', s.description) +
    members('Parameters', resolvedParameters(s).map((p) => el('ParameterKey', p.key) + el('ParameterValue', p.value) + el('ResolvedValue', p.resolved))) +
    el('CreationTime', iso(s.created)) +
    el('LastUpdatedTime', s.updated ? iso(s.updated) : undefined) +
    el('DeletionTime', s.deleted ? iso(s.deleted) : undefined) +
    el('StackStatus', s.status) +
    el('StackStatusReason', s.reason) +
    el('DisableRollback', s.disableRollback) +
    members('NotificationARNs', []) +
    members('Capabilities', s.capabilities.map(esc)) +
    members('Outputs', s.outputs.map((o) => el('OutputKey', o.OutputKey) + el('OutputValue', o.OutputValue) + el('Description', o.Description) + el('ExportName', o.ExportName))) +
    members('Tags', s.tags.map((t) => el('Key', t.Key) + el('Value', t.Value))) +
    el('EnableTerminationProtection', s.terminationProtection) +
    `<DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>`
  );
}

function newStack(c: Ctx, name: string, f: Form): Stack {
  if (!/^[a-zA-Z][-a-zA-Z0-9]*$/.test(name) || name.length > 128)
    throw validation(`1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*`);
  return {
    id: c.engine.stackId(c.region, name),
    name,
    status: 'REVIEW_IN_PROGRESS',
    templateBody: '{}',
    processed: {},
    parameters: {},
    noEcho: [],
    capabilities: list(f, 'Capabilities'),
    tags: tagsOf(f),
    outputs: [],
    resources: {},
    created: c.now(),
    disableRollback: f.get('DisableRollback') === 'true' || f.get('OnFailure') === 'DO_NOTHING',
    terminationProtection: f.get('EnableTerminationProtection') === 'true',
    skipUnsupported: tagsOf(f).some((t) => t.Key === 'selfless:skip-unsupported' && t.Value === 'true'),
  };
}

async function begin(c: Ctx, s: Stack, kind: 'create' | 'update', templateBody: string, processed: JsonObject, parameters: Record<string, string>): Promise<void> {
  s.pending = { kind, templateBody, processed, parameters, ...(kind === 'update' ? { previous: JSON.parse(JSON.stringify(s.resources)) as Stack['resources'] } : {}) };
  s.status = kind === 'create' ? 'CREATE_IN_PROGRESS' : 'UPDATE_IN_PROGRESS';
  if (kind === 'update') s.updated = c.now();
  await c.engine.save(s);
  await c.engine.event(s, s.name, 'AWS::CloudFormation::Stack', s.id, s.status, 'User Initiated');
  c.engine.launch(s);
}

const UPDATABLE = /^(CREATE_COMPLETE|UPDATE_COMPLETE|UPDATE_ROLLBACK_COMPLETE|IMPORT_COMPLETE)$/;

type Op = (c: Ctx, f: Form, req: ApiRequest) => Promise<string | undefined>;

const OPS: Record<string, Op> = {
  async CreateStack(c, f, req) {
    const name = need(f, 'StackName');
    if (await c.engine.find(name)) throw new AwsError('AlreadyExistsException', `Stack [${name}] already exists`, { status: 400 });
    const body = await templateOf(f, req.baseUrl);
    if (body === undefined) throw validation('Either Template URL or Template Body must be specified.');
    const s = newStack(c, name, f);
    const params = parametersOf(f);
    const processed = c.engine.process(body, c.region, params, s.capabilities, false);
    c.engine.prepare(s, processed, params, s.capabilities, await c.engine.fetchSsm(s, processed, params));
    await begin(c, s, 'create', body, processed, params);
    return el('StackId', s.id);
  },
  async UpdateStack(c, f, req) {
    const s = await c.engine.require(need(f, 'StackName'));
    if (!UPDATABLE.test(s.status)) throw validation(`Stack:${s.id} is in ${s.status} state and can not be updated.`);
    const body = f.get('UsePreviousTemplate') === 'true' ? s.templateBody : await templateOf(f, req.baseUrl);
    if (body === undefined) throw validation('Either Template URL or Template Body must be specified.');
    const params = parametersOf(f, s);
    const caps = list(f, 'Capabilities');
    const processed = c.engine.process(body, c.region, params, caps, false);
    const p = c.engine.prepare(s, processed, params, caps, await c.engine.fetchSsm(s, processed, params));
    if (f.has('Tags.member.1')) s.tags = tagsOf(f);
    s.capabilities = caps;
    if (c.engine.plan(s, p).length === 0 && JSON.stringify(params) === JSON.stringify(s.parameters) && body === s.templateBody) throw validation('No updates are to be performed.');
    await begin(c, s, 'update', body, processed, params);
    return el('StackId', s.id);
  },
  async DeleteStack(c, f) {
    const s = await c.engine.find(need(f, 'StackName'));
    if (!s || s.status === 'DELETE_COMPLETE' || s.status === 'DELETE_IN_PROGRESS') return '';
    if (s.terminationProtection) throw validation(`Stack [${s.name}] cannot be deleted while TerminationProtection is enabled`);
    s.pending = { kind: 'delete', templateBody: s.templateBody, processed: s.processed, parameters: s.parameters };
    s.status = 'DELETE_IN_PROGRESS';
    await c.engine.save(s);
    await c.engine.event(s, s.name, 'AWS::CloudFormation::Stack', s.id, 'DELETE_IN_PROGRESS', 'User Initiated');
    c.engine.launch(s);
    return '';
  },
  async DescribeStacks(c, f) {
    const name = f.get('StackName');
    const stacks = name ? [await c.engine.require(name)] : (await c.engine.all()).filter((s) => s.status !== 'DELETE_COMPLETE');
    return members('Stacks', stacks.map(stackXml));
  },
  async ListStacks(c, f) {
    const filter = list(f, 'StackStatusFilter');
    const stacks = (await c.engine.all()).filter((s) => !filter.length || filter.includes(s.status));
    return members(
      'StackSummaries',
      stacks.map((s) => el('StackId', s.id) + el('StackName', s.name) + el('TemplateDescription', s.description) + el('CreationTime', iso(s.created)) + el('LastUpdatedTime', s.updated ? iso(s.updated) : undefined) + el('DeletionTime', s.deleted ? iso(s.deleted) : undefined) + el('StackStatus', s.status) + el('StackStatusReason', s.reason)),
    );
  },
  async DescribeStackEvents(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    const events = await c.engine.events(s.id);
    return members(
      'StackEvents',
      events.map((e) => el('StackId', e.StackId) + el('EventId', e.EventId) + el('StackName', e.StackName) + el('LogicalResourceId', e.LogicalResourceId) + el('PhysicalResourceId', e.PhysicalResourceId) + el('ResourceType', e.ResourceType) + el('Timestamp', iso(e.Timestamp)) + el('ResourceStatus', e.ResourceStatus) + el('ResourceStatusReason', e.ResourceStatusReason)),
    );
  },
  async DescribeStackResources(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    const only = f.get('LogicalResourceId');
    return members(
      'StackResources',
      Object.entries(s.resources)
        .filter(([id, r]) => (!only || id === only) && r.status !== 'DELETE_COMPLETE')
        .map(([id, r]) => el('StackName', s.name) + el('StackId', s.id) + el('LogicalResourceId', id) + el('PhysicalResourceId', r.ref ?? r.physicalId) + el('ResourceType', r.type) + el('Timestamp', iso(r.updated)) + el('ResourceStatus', r.status) + el('ResourceStatusReason', r.reason)),
    );
  },
  async DescribeStackResource(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    const id = need(f, 'LogicalResourceId');
    const r = s.resources[id];
    if (!r || r.status === 'DELETE_COMPLETE') throw validation(`Resource ${id} does not exist for stack ${s.name}`);
    return `<StackResourceDetail>${el('StackName', s.name) + el('StackId', s.id) + el('LogicalResourceId', id) + el('PhysicalResourceId', r.ref ?? r.physicalId) + el('ResourceType', r.type) + el('LastUpdatedTimestamp', iso(r.updated)) + el('ResourceStatus', r.status)}<Metadata>{}</Metadata></StackResourceDetail>`;
  },
  async ListStackResources(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    return members(
      'StackResourceSummaries',
      Object.entries(s.resources)
        .filter(([, r]) => r.status !== 'DELETE_COMPLETE')
        .map(([id, r]) => el('LogicalResourceId', id) + el('PhysicalResourceId', r.ref ?? r.physicalId) + el('ResourceType', r.type) + el('LastUpdatedTimestamp', iso(r.updated)) + el('ResourceStatus', r.status) + el('ResourceStatusReason', r.reason)),
    );
  },
  async GetTemplate(c, f) {
    let body: string;
    const cs = f.get('ChangeSetName');
    if (cs) body = (await c.engine.findChangeSet(cs, f.get('StackName') ?? undefined)).templateBody;
    else {
      const s = await c.engine.require(need(f, 'StackName'));
      body = f.get('TemplateStage') === 'Processed' ? JSON.stringify(s.processed) : s.templateBody;
    }
    return el('TemplateBody', body) + members('StagesAvailable', ['Original', 'Processed']);
  },
  async GetTemplateSummary(c, f, req) {
    let body = await templateOf(f, req.baseUrl);
    if (body === undefined && f.get('StackName')) body = (await c.engine.require(f.get('StackName')!)).templateBody;
    if (body === undefined) throw validation('Either Template URL or Template Body must be specified.');
    const processed = c.engine.process(body, c.region, {}, ['CAPABILITY_AUTO_EXPAND'], true);
    const sum = templateSummary(parseModel(processed).template);
    return (
      members('Parameters', sum.Parameters.map((p) => el('ParameterKey', p.ParameterKey) + el('DefaultValue', p.DefaultValue) + el('ParameterType', p.ParameterType) + el('NoEcho', p.NoEcho) + el('Description', p.Description))) +
      el('Description', sum.Description) +
      members('Capabilities', sum.Capabilities ?? []) +
      el('CapabilitiesReason', sum.CapabilitiesReason) +
      members('ResourceTypes', sum.ResourceTypes.map(esc)) +
      el('Version', sum.Version)
    );
  },
  async ValidateTemplate(_c, f, req) {
    const body = await templateOf(f, req.baseUrl);
    if (body === undefined) throw validation('Either Template URL or Template Body must be specified.');
    let tree;
    try {
      tree = parseTemplate(body);
    } catch (e) {
      throw validation(e instanceof Error ? e.message : String(e));
    }
    const r = validateTemplate(tree);
    if (r.errors.length) throw validation(r.errors[0]!.message);
    const o = r.output!;
    return (
      members('Parameters', o.Parameters.map((p) => el('ParameterKey', p.ParameterKey) + el('DefaultValue', p.DefaultValue) + el('NoEcho', p.NoEcho) + el('Description', p.Description))) +
      el('Description', o.Description) +
      members('Capabilities', o.Capabilities ?? []) +
      el('CapabilitiesReason', o.CapabilitiesReason) +
      members('DeclaredTransforms', (o.DeclaredTransforms ?? []).map(esc))
    );
  },
  async CreateChangeSet(c, f, req) {
    const stackName = need(f, 'StackName');
    const name = need(f, 'ChangeSetName');
    const type = (f.get('ChangeSetType') ?? 'UPDATE') as 'CREATE' | 'UPDATE';
    let s = await c.engine.find(stackName);
    if (type === 'CREATE') {
      if (s && s.status !== 'REVIEW_IN_PROGRESS') throw new AwsError('AlreadyExistsException', `Stack [${stackName}] already exists and cannot be created again with the changeSet [${name}].`, { status: 400 });
      if (!s) {
        s = newStack(c, stackName, f);
        await c.engine.save(s);
        await c.engine.event(s, s.name, 'AWS::CloudFormation::Stack', s.id, 'REVIEW_IN_PROGRESS', 'User Initiated');
      }
    } else if (!s || s.status === 'REVIEW_IN_PROGRESS') throw validation(`Stack [${stackName}] does not exist`);
    const body = f.get('UsePreviousTemplate') === 'true' ? s.templateBody : await templateOf(f, req.baseUrl);
    if (body === undefined) throw validation('Either Template URL or Template Body must be specified.');
    const params = parametersOf(f, s);
    const caps = list(f, 'Capabilities');
    const processed = c.engine.process(body, c.region, params, caps, true);
    const p = c.engine.prepare(s, processed, params, caps, await c.engine.fetchSsm(s, processed, params));
    const cs: ChangeSet = {
      id: `arn:aws:cloudformation:${c.region}:${s.id.split(':')[4]}:changeSet/${name}/${randomUUID()}`,
      name,
      stackId: s.id,
      stackName: s.name,
      type,
      status: 'CREATE_COMPLETE',
      executionStatus: 'AVAILABLE',
      templateBody: body,
      processed,
      parameters: params,
      capabilities: caps,
      tags: f.has('Tags.member.1') ? tagsOf(f) : s.tags,
      changes: c.engine.plan(s, p),
      created: c.now(),
    };
    if (f.get('Description')) cs.description = f.get('Description')!;
    if (cs.changes.length === 0 && JSON.stringify(params) === JSON.stringify(s.parameters)) {
      cs.status = 'FAILED';
      cs.executionStatus = 'UNAVAILABLE';
      cs.statusReason = "The submitted information didn't contain changes. Submit different information to create a change set.";
    }
    await c.engine.saveChangeSet(cs);
    return el('Id', cs.id) + el('StackId', s.id);
  },
  async DescribeChangeSet(c, f) {
    const cs = await c.engine.findChangeSet(need(f, 'ChangeSetName'), f.get('StackName') ?? undefined);
    return (
      el('ChangeSetName', cs.name) +
      el('ChangeSetId', cs.id) +
      el('StackId', cs.stackId) +
      el('StackName', cs.stackName) +
      el('Description', cs.description) +
      members('Parameters', Object.entries(cs.parameters).map(([k, v]) => el('ParameterKey', k) + el('ParameterValue', v))) +
      el('CreationTime', iso(cs.created)) +
      el('ExecutionStatus', cs.executionStatus) +
      el('Status', cs.status) +
      el('StatusReason', cs.statusReason) +
      members('Capabilities', cs.capabilities.map(esc)) +
      members('Tags', cs.tags.map((t) => el('Key', t.Key) + el('Value', t.Value))) +
      members(
        'Changes',
        cs.changes.map(
          (ch) =>
            `<Type>Resource</Type><ResourceChange>${el('Action', ch.Action)}${el('LogicalResourceId', ch.LogicalResourceId)}${el('PhysicalResourceId', ch.PhysicalResourceId)}${el('ResourceType', ch.ResourceType)}${el('Replacement', ch.Replacement)}<Scope></Scope><Details></Details></ResourceChange>`,
        ),
      )
    );
  },
  async ExecuteChangeSet(c, f) {
    const cs = await c.engine.findChangeSet(need(f, 'ChangeSetName'), f.get('StackName') ?? undefined);
    if (cs.executionStatus !== 'AVAILABLE') throw new AwsError('InvalidChangeSetStatus', `ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.status}]`, { status: 400 });
    const s = await c.engine.require(cs.stackId);
    if (f.get('DisableRollback') === 'true') s.disableRollback = true;
    s.tags = cs.tags;
    s.capabilities = cs.capabilities;
    cs.executionStatus = 'EXECUTE_IN_PROGRESS';
    await c.engine.saveChangeSet(cs);
    await begin(c, s, cs.type === 'CREATE' ? 'create' : 'update', cs.templateBody, cs.processed, cs.parameters);
    // Other change sets of the stack are obsolete once one runs.
    for (const other of await c.engine.changeSets(s.id)) if (other.id !== cs.id) await c.engine.deleteChangeSet(other.id);
    cs.executionStatus = 'EXECUTE_COMPLETE';
    await c.engine.saveChangeSet(cs);
    return '';
  },
  async DeleteChangeSet(c, f) {
    const cs = await c.engine.findChangeSet(need(f, 'ChangeSetName'), f.get('StackName') ?? undefined);
    await c.engine.deleteChangeSet(cs.id);
    return '';
  },
  async ListChangeSets(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    return members(
      'Summaries',
      (await c.engine.changeSets(s.id)).map((cs) => el('StackId', cs.stackId) + el('StackName', cs.stackName) + el('ChangeSetId', cs.id) + el('ChangeSetName', cs.name) + el('ExecutionStatus', cs.executionStatus) + el('Status', cs.status) + el('StatusReason', cs.statusReason) + el('CreationTime', iso(cs.created))),
    );
  },
  async ListExports(c) {
    const out: string[] = [];
    for (const s of await c.engine.all()) if (s.status !== 'DELETE_COMPLETE') for (const o of s.outputs) if (o.ExportName) out.push(el('ExportingStackId', s.id) + el('Name', o.ExportName) + el('Value', o.OutputValue));
    return members('Exports', out);
  },
  async ListImports(c, f) {
    const name = need(f, 'ExportName');
    const out: string[] = [];
    for (const s of await c.engine.all()) if (s.status !== 'DELETE_COMPLETE' && s.templateBody.includes(name) && /ImportValue/.test(s.templateBody)) out.push(esc(s.name));
    if (!(await c.engine.exportsMap()).has(name)) throw validation(`Export '${name}' is not imported by any stack.`);
    if (!out.length) throw validation(`Export '${name}' is not imported by any stack.`);
    return members('Imports', out);
  },
  async UpdateTerminationProtection(c, f) {
    const s = await c.engine.require(need(f, 'StackName'));
    s.terminationProtection = need(f, 'EnableTerminationProtection') === 'true';
    await c.engine.save(s);
    return el('StackId', s.id);
  },
};

export function cloudformationRoutes(engine: Engine, now: () => number): ServiceRoutes {
  const run = async (req: ApiRequest, form: Form): Promise<ApiResponse> => {
    const action = form.get('Action') ?? '';
    const op = OPS[action];
    if (!op) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, { status: 400 });
    const result = await op({ engine, region: req.region, now }, form, req);
    const r = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}">${r}<ResponseMetadata><RequestId>${req.requestId}</RequestId></ResponseMetadata></${action}Response>`,
    };
  };
  return { query: [{ matches: (form) => form.get('Version') === '2010-05-15', handle: run }] };
}

export { requiredCapabilities };
