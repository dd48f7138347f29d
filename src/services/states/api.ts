// The Step Functions API (JSON 1.0, `AWSStepFunctions.*`): state machines, executions, history, tasks, activities, tags.
import { randomUUID } from 'node:crypto';
import { AwsError } from '../../lib/errors.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import type { Json } from './asl/paths.js';
import { validateDefinition } from './asl/validate.js';
import { Execution } from './run/executor.js';
import type { StatesCluster } from './cluster.js';
import { NAME_RE, type ExecRow, type Machine, type StatesModel } from './service.js';

type Body = Record<string, unknown>;

const parse = (req: ApiRequest): Body => {
  try {
    const v: unknown = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Body;
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON.');
  }
};
const secs = (ms: number): number => ms / 1000;
function req(b: Body, name: string): string {
  const v = b[name];
  if (typeof v !== 'string') throw new AwsError('ValidationException', `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return v;
}
const opt = (b: Body, name: string): string | undefined => (typeof b[name] === 'string' ? (b[name] as string) : undefined);
function maxResults(b: Body, dflt: number): number {
  const v = b['maxResults'];
  if (v === undefined || v === 0) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000)
    throw new AwsError('ValidationException', `1 validation error detected: Value '${String(v)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`);
  return v;
}
function page<T>(items: T[], b: Body, dflt: number): { items: T[]; nextToken?: string } {
  const tok = opt(b, 'nextToken');
  if (tok && tok.length > 1024) throw new AwsError('ValidationException', `1 validation error detected: Value '${tok}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024`);
  let start = 0;
  if (tok) {
    const n = Number(Buffer.from(tok, 'base64').toString('utf8').replace(/^o:/, ''));
    if (!Number.isInteger(n) || n < 0) throw new AwsError('InvalidToken', `Invalid Token: '${tok}'`);
    start = n;
  }
  const n = maxResults(b, dflt);
  const slice = items.slice(start, start + n);
  return { items: slice, nextToken: start + n < items.length ? Buffer.from(`o:${start + n}`).toString('base64') : undefined };
}
const tagList = (t: Record<string, string>): { key: string; value: string }[] => Object.entries(t).map(([key, value]) => ({ key, value }));
function tagsFrom(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) for (const t of v as { key?: string; value?: string }[]) if (typeof t.key === 'string') out[t.key] = t.value ?? '';
  return out;
}

export function statesRoutes(m: StatesModel, cluster: StatesCluster): ServiceRoutes {
  const persistMachine = (x: Machine): Promise<void> => m.catalog.saveMachine(x);
  const describeMachine = (x: Machine): Body => ({
    stateMachineArn: x.arn, name: x.name, status: 'ACTIVE', definition: x.definition, roleArn: x.roleArn, type: x.type, creationDate: secs(x.created),
    loggingConfiguration: x.logging ? (JSON.parse(x.logging) as unknown) : { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: x.tracing ? (JSON.parse(x.tracing) as unknown) : { enabled: false },
    revisionId: x.revision, ...(x.description ? { description: x.description } : {}),
  });
  const execSummary = (r: ExecRow): Body => ({
    executionArn: r.arn, stateMachineArn: r.sm_arn, name: r.name, status: r.status, startDate: secs(r.start), ...(r.stop !== null ? { stopDate: secs(r.stop) } : {}), redriveCount: 0,
  });
  const resolveTagTarget = async (arn: string): Promise<{ tags: Record<string, string>; save: () => Promise<void> }> => {
    const sm = await m.catalog.machine(arn);
    if (sm) return { tags: sm.tags, save: () => persistMachine(sm) };
    const act = await m.catalog.activity(arn);
    if (act) return { tags: act.tags, save: () => m.catalog.saveActivityTags(act) };
    throw new AwsError('ResourceNotFound', `Resource not found: '${arn}'`);
  };
  const checkArn = (arn: string, kind: string): void => {
    if (!new RegExp(`^arn:aws[\\w-]*:states:[a-z0-9-]+:\\d{12}:${kind}:`).test(arn)) throw new AwsError('InvalidArn', `Invalid Arn: '${arn}'`);
  };
  const token = (b: Body): string => req(b, 'taskToken');

  const ops: Record<string, Handler> = {
    CreateStateMachine: async (r) => {
      const b = parse(r);
      const name = req(b, 'name');
      const definition = req(b, 'definition');
      const roleArn = req(b, 'roleArn');
      const type = (opt(b, 'type') ?? 'STANDARD') as 'STANDARD' | 'EXPRESS';
      if (type !== 'STANDARD' && type !== 'EXPRESS') throw new AwsError('ValidationException', `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`);
      if (!NAME_RE.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
      if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(roleArn)) throw new AwsError('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${roleArn}'`);
      const parsed = m.validate(definition, type);
      const arn = m.machineArn(r.region, name);
      const existing = await m.catalog.machine(arn);
      if (existing) {
        if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type) return { body: { stateMachineArn: arn, creationDate: secs(existing.created) } };
        throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      const x: Machine = {
        arn, region: r.region, name, type, definition, roleArn, created: m.clock.now(), revision: randomUUID(), parsed, tags: tagsFrom(b['tags']),
        logging: b['loggingConfiguration'] ? JSON.stringify(b['loggingConfiguration']) : undefined,
        tracing: b['tracingConfiguration'] ? JSON.stringify(b['tracingConfiguration']) : undefined,
      };
      await persistMachine(x);
      return { body: { stateMachineArn: arn, creationDate: secs(x.created) } };
    },
    DescribeStateMachine: async (r) => {
      const arn = req(parse(r), 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      return { body: describeMachine(await m.requireMachine(arn)) };
    },
    UpdateStateMachine: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      const x = await m.requireMachine(arn);
      const def = opt(b, 'definition');
      const role = opt(b, 'roleArn');
      if (def === undefined && role === undefined && b['loggingConfiguration'] === undefined && b['tracingConfiguration'] === undefined)
        throw new AwsError('MissingRequiredParameter', 'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified');
      // A new machine object, cached by saveMachine once the store has it: a failed write leaves the old one as it was.
      const next = { ...x, updated: m.clock.now(), revision: randomUUID() };
      if (def !== undefined) {
        next.parsed = m.validate(def, x.type);
        next.definition = def;
      }
      if (role !== undefined) next.roleArn = role;
      if (b['loggingConfiguration']) next.logging = JSON.stringify(b['loggingConfiguration']);
      if (b['tracingConfiguration']) next.tracing = JSON.stringify(b['tracingConfiguration']);
      await persistMachine(next);
      return { body: { updateDate: secs(next.updated), revisionId: next.revision } };
    },
    DeleteStateMachine: async (r) => {
      const arn = req(parse(r), 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      if (await m.catalog.machine(arn)) await m.catalog.deleteMachine(arn);
      return { body: {} };
    },
    ListStateMachines: async (r) => {
      const b = parse(r);
      const all = await m.catalog.listMachines(r.region);
      const p = page(all, b, 100);
      return { body: { stateMachines: p.items.map((x) => ({ stateMachineArn: x.arn, name: x.name, type: x.type, creationDate: secs(x.created) })), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    // Versions and aliases are not published here (CreateStateMachine's publish is not kept), so a machine has none:
    // the lists are empty, as AWS answers for a machine that never published (Terraform reads both after every apply).
    ListStateMachineVersions: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      page([], b, 100);
      return { body: { stateMachineVersions: [] } };
    },
    ListStateMachineAliases: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      page([], b, 100);
      await m.requireMachine(arn.split(':').slice(0, 7).join(':'));
      return { body: { stateMachineAliases: [] } };
    },
    StartExecution: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      const s = await m.startExecution(r.region, arn, opt(b, 'name'), opt(b, 'input'));
      return { body: { executionArn: s.executionArn, startDate: secs(s.startDate) } };
    },
    StartSyncExecution: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      const s = await m.startExecution(r.region, arn, opt(b, 'name'), opt(b, 'input'), undefined, true);
      const ex = s.ex!;
      const out: Body = {
        executionArn: ex.info.arn, stateMachineArn: ex.info.smArn, name: ex.info.name, startDate: secs(ex.info.startTime), stopDate: secs(ex.stopTime ?? m.clock.now()),
        status: ex.status, input: ex.info.inputText ?? JSON.stringify(ex.info.input), inputDetails: { included: true },
        billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, Math.ceil(((ex.stopTime ?? 0) - ex.info.startTime) / 100) * 100) },
      };
      if (ex.status === 'SUCCEEDED') Object.assign(out, { output: JSON.stringify(ex.output ?? null), outputDetails: { included: true } });
      if (ex.error !== undefined) out['error'] = ex.error;
      if (ex.cause !== undefined) out['cause'] = ex.cause;
      return { body: out };
    },
    DescribeExecution: async (r) => {
      const arn = req(parse(r), 'executionArn');
      if (arn.includes(':express:')) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
      checkArn(arn, 'execution');
      const row = await m.execRow(arn);
      const out: Body = { ...execSummary(row), input: row.input, inputDetails: { included: true }, redriveStatus: row.status === 'RUNNING' ? 'NOT_REDRIVABLE' : 'REDRIVABLE' };
      delete out['redriveCount'];
      out['redriveCount'] = 0;
      if (row.output !== null) Object.assign(out, { output: row.output, outputDetails: { included: true } });
      if (row.error !== null) out['error'] = row.error;
      if (row.cause !== null) out['cause'] = row.cause;
      if (row.status === 'SUCCEEDED') out['redriveStatus'] = 'NOT_REDRIVABLE', out['redriveStatusReason'] = 'Execution is SUCCEEDED and cannot be redriven';
      return { body: out };
    },
    DescribeStateMachineForExecution: async (r) => {
      const arn = req(parse(r), 'executionArn');
      checkArn(arn, 'execution');
      const row = await m.execRow(arn);
      const sm = await m.catalog.machine(row.sm_arn);
      return { body: { stateMachineArn: row.sm_arn, name: row.sm_arn.split(':')[6], definition: row.definition, roleArn: row.role_arn, updateDate: secs(sm?.updated ?? sm?.created ?? row.start), loggingConfiguration: { level: 'OFF', includeExecutionData: false }, tracingConfiguration: { enabled: false }, revisionId: sm?.revision } };
    },
    ListExecutions: async (r) => {
      const b = parse(r);
      const arn = req(b, 'stateMachineArn');
      checkArn(arn, 'stateMachine');
      const sm = await m.requireMachine(arn);
      if (sm.type === 'EXPRESS') throw new AwsError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
      const status = opt(b, 'statusFilter');
      const statuses = ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'];
      if (status !== undefined && !statuses.includes(status))
        throw new AwsError('ValidationException', `1 validation error detected: Value '${status}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(', ')}]`);
      await m.writer.flush();
      const rows = await m.store.all<ExecRow>(`SELECT * FROM states_executions WHERE sm_arn = ?${status ? ' AND status = ?' : ''} ORDER BY seq DESC`, status ? [sm.arn, status] : [sm.arn]);
      const p = page(rows, b, 100);
      return { body: { executions: p.items.map(execSummary), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    GetExecutionHistory: async (r) => {
      const b = parse(r);
      const arn = req(b, 'executionArn');
      if (arn.includes(':express:')) throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: express'`);
      checkArn(arn, 'execution');
      let events = await m.history(arn);
      if (b['reverseOrder'] === true) events = [...events].reverse();
      const p = page(events, b, 100);
      const include = b['includeExecutionData'] !== false;
      const shaped = p.items.map((e) => {
        const o: Body = { ...e, timestamp: secs(e.timestamp) };
        if (!include) for (const [k, v] of Object.entries(o)) if (k.endsWith('EventDetails') && v && typeof v === 'object') {
          const d = { ...(v as Body) };
          for (const f of ['input', 'output', 'parameters']) if (f in d) delete d[f];
          o[k] = d;
        }
        return o;
      });
      return { body: { events: shaped, ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    StopExecution: async (r) => {
      const b = parse(r);
      const arn = req(b, 'executionArn');
      const stop = await m.stopExecution(arn, opt(b, 'error'), opt(b, 'cause'));
      return { body: { stopDate: secs(stop) } };
    },
    SendTaskSuccess: async (r) => {
      const b = parse(r);
      const t = token(b);
      const outText = req(b, 'output');
      let out: Json;
      try {
        out = JSON.parse(outText) as Json;
      } catch {
        throw new AwsError('InvalidOutput', `Invalid Output: '${outText}'`);
      }
      await m.sendTaskOutcome(t, { output: out });
      return { body: {} };
    },
    SendTaskFailure: async (r) => {
      const b = parse(r);
      const t = token(b);
      await m.sendTaskOutcome(t, { error: opt(b, 'error') ?? '', cause: opt(b, 'cause') ?? '' });
      return { body: {} };
    },
    SendTaskHeartbeat: async (r) => {
      const t = token(parse(r));
      await m.heartbeat(t);
      return { body: {} };
    },
    CreateActivity: async (r) => {
      const b = parse(r);
      const name = req(b, 'name');
      if (!NAME_RE.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
      const arn = `arn:aws:states:${r.region}:${m.accountId}:activity:${name}`;
      const ex = await m.catalog.activity(arn);
      if (ex) return { body: { activityArn: arn, creationDate: secs(ex.created) } };
      const a = await m.catalog.createActivity(r.region, { arn, name, created: m.clock.now(), tags: tagsFrom(b['tags']) });
      return { body: { activityArn: arn, creationDate: secs(a.created) } };
    },
    DescribeActivity: async (r) => {
      const arn = req(parse(r), 'activityArn');
      checkArn(arn, 'activity');
      const a = await m.catalog.activity(arn);
      if (!a) throw new AwsError('ActivityDoesNotExist', `Activity Does Not Exist: '${arn}'`);
      return { body: { activityArn: arn, name: a.name, creationDate: secs(a.created) } };
    },
    DeleteActivity: async (r) => {
      const arn = req(parse(r), 'activityArn');
      checkArn(arn, 'activity');
      if (await m.catalog.activity(arn)) await m.catalog.deleteActivity(arn);
      return { body: {} };
    },
    ListActivities: async (r) => {
      const b = parse(r);
      const all = await m.catalog.listActivities(r.region);
      const p = page(all, b, 100);
      return { body: { activities: p.items.map((a) => ({ activityArn: a.arn, name: a.name, creationDate: secs(a.created) })), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
    },
    GetActivityTask: async (r) => {
      const b = parse(r);
      const arn = req(b, 'activityArn');
      checkArn(arn, 'activity');
      if (!(await m.catalog.activity(arn))) throw new AwsError('ActivityDoesNotExist', `Activity Does Not Exist: '${arn}'`);
      // The claim is durable before the worker hears of the task: it is not handed out again, also after a restart.
      const t = await cluster.getActivityTask(arn, opt(b, 'workerName'), r.signal);
      if (!t) return { body: {} };
      return { body: { taskToken: t.token, input: t.input } };
    },
    ValidateStateMachineDefinition: async (r) => {
      const b = parse(r);
      const def = req(b, 'definition');
      const type = (opt(b, 'type') ?? 'STANDARD') as 'STANDARD';
      const d = validateDefinition(def, { type }).diagnostics;
      const max = typeof b['maxResults'] === 'number' && b['maxResults'] > 0 ? b['maxResults'] : 100;
      // A diagnostic of the whole workflow (no terminal state) has no location in AWS's answer.
      const shown = d.slice(0, max).map((x) => (x.location === 'null' ? { severity: x.severity, code: x.code, message: x.message } : x));
      return { body: { result: d.length ? 'FAIL' : 'OK', diagnostics: shown, truncated: d.length > max } };
    },
    TagResource: async (r) => {
      const b = parse(r);
      const t = await resolveTagTarget(req(b, 'resourceArn'));
      Object.assign(t.tags, tagsFrom(b['tags']));
      await t.save();
      return { body: {} };
    },
    UntagResource: async (r) => {
      const b = parse(r);
      const t = await resolveTagTarget(req(b, 'resourceArn'));
      for (const k of (b['tagKeys'] as string[] | undefined) ?? []) delete t.tags[k];
      await t.save();
      return { body: {} };
    },
    ListTagsForResource: async (r) => {
      const t = await resolveTagTarget(req(parse(r), 'resourceArn'));
      return { body: { tags: tagList(t.tags) } };
    },
    TestState: async (r) => {
      const b = parse(r);
      const def = req(b, 'definition');
      let st: Record<string, Json>;
      try {
        st = JSON.parse(def) as Record<string, Json>;
      } catch (e) {
        throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${(e as Error).message}'`);
      }
      const name = 'TestState';
      const prog = { StartAt: name, States: { [name]: { ...st, ...(st['Type'] === 'Choice' || st['Type'] === 'Succeed' || st['Type'] === 'Fail' ? {} : { End: true, Next: undefined }) } } } as unknown as Record<string, Json>;
      m.validate(JSON.stringify(prog), 'STANDARD');
      const input = m.parseInput(opt(b, 'input'));
      const ex = new Execution(
        { arn: `arn:aws:states:${r.region}:${m.accountId}:execution:TestState:${randomUUID()}`, name: 'TestState', smArn: `arn:aws:states:${r.region}:${m.accountId}:stateMachine:TestState`, smName: 'TestState', roleArn: req(b, 'roleArn'), input, startTime: m.clock.now(), type: 'EXPRESS', definition: prog },
        m.taskDeps(r.region),
        { sleep: async () => undefined },
      );
      await ex.run();
      const out: Body = { status: ex.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED' };
      if (ex.status === 'SUCCEEDED') out['output'] = JSON.stringify(ex.output ?? null);
      if (typeof st['Next'] === 'string' && ex.status === 'SUCCEEDED') out['nextState'] = st['Next'];
      if (ex.error !== undefined) out['error'] = ex.error;
      if (ex.cause !== undefined) out['cause'] = ex.cause;
      return { body: out };
    },
  };
  return { json: [{ targetPrefix: 'AWSStepFunctions', ops }] };
}
