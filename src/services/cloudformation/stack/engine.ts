// The stack engine: stacks, change sets and events in the store; a planner (what a template changes) and the executor
// that creates, updates and deletes resources in dependency order, rolling back on failure.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../lib/clock.js';
import type { Store } from '../../../store/store.js';
import type { Leases } from '../../../store/leases.js';
import { AwsError } from '../../../lib/errors.js';
import { parseTemplate, transformSam, type Json, type JsonObject } from '../index.js';
import { evaluateOutputs, evaluateResource, isObj, parseModel, prepareStack, requiredCapabilities, type PreparedStack, type Resolvers } from '../template/index.js';
import type { Caller } from './call.js';
import { PROVIDERS, type Created, type ProviderContext } from './providers.js';
import { DynamicResolver, masked, type DynamicSources } from './dynamic.js';

export interface ResourceState extends Created {
  type: string;
  properties: JsonObject;
  status: string;
  reason?: string;
  updated: number;
  deletionPolicy?: string;
  skipped?: boolean;
}

export interface Stack {
  id: string;
  name: string;
  status: string;
  reason?: string;
  templateBody: string;
  processed: JsonObject;
  parameters: Record<string, string>;
  noEcho: string[];
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  outputs: { OutputKey: string; OutputValue: string; Description?: string; ExportName?: string }[];
  resources: Record<string, ResourceState>;
  created: number;
  updated?: number;
  deleted?: number;
  disableRollback: boolean;
  terminationProtection: boolean;
  skipUnsupported: boolean;
  description?: string;
  /** SSM parameter types: the SSM parameter name → the value it had when the last operation ran (ResolvedValue). */
  ssm?: Record<string, string>;
  /** The operation in progress: its target (kept to resume after a restart). */
  pending?: { kind: 'create' | 'update' | 'delete'; templateBody: string; processed: JsonObject; parameters: Record<string, string>; previous?: Record<string, ResourceState> };
}

export interface StackEvent {
  EventId: string;
  StackId: string;
  StackName: string;
  LogicalResourceId: string;
  PhysicalResourceId: string;
  ResourceType: string;
  Timestamp: number;
  ResourceStatus: string;
  ResourceStatusReason?: string;
  seq: number;
}

export interface ChangeSet {
  id: string;
  name: string;
  stackId: string;
  stackName: string;
  type: 'CREATE' | 'UPDATE';
  status: string;
  executionStatus: string;
  statusReason?: string;
  templateBody: string;
  processed: JsonObject;
  parameters: Record<string, string>;
  capabilities: string[];
  tags: { Key: string; Value: string }[];
  changes: Change[];
  created: number;
  description?: string;
}

export interface Change {
  Action: 'Add' | 'Modify' | 'Remove';
  LogicalResourceId: string;
  PhysicalResourceId?: string;
  ResourceType: string;
  Replacement?: 'True' | 'False' | 'Conditional';
}

export const MIGRATIONS = [
  {
    version: 1,
    up: `CREATE TABLE cloudformation_stacks (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, body TEXT NOT NULL);
         CREATE INDEX cloudformation_stacks_name ON cloudformation_stacks (name);
         CREATE TABLE cloudformation_events (stack_id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (stack_id, seq));
         CREATE TABLE cloudformation_changesets (id TEXT PRIMARY KEY, stack_id TEXT NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL)`,
  },
];

export const validation = (msg: string): AwsError => new AwsError('ValidationError', msg, { status: 400 });

const SERVERLESS = 'AWS::Serverless-2016-10-31';

export class Engine {
  private seq = 0;
  private running = new Set<string>();

  constructor(
    private readonly o: { store: Store; clock: Clock; leases: Leases; call: Caller; accountId: string; log: (m: string) => void; sources?: DynamicSources },
  ) {
    this.dynamic = new DynamicResolver(o.sources ?? {});
  }

  private readonly dynamic: DynamicResolver;

  // ---- store

  async save(s: Stack): Promise<void> {
    await this.o.store.run('INSERT INTO cloudformation_stacks (id, name, status, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body', [s.id, s.name, s.status, JSON.stringify(s)]);
  }

  async all(): Promise<Stack[]> {
    return (await this.o.store.all<{ body: string }>('SELECT body FROM cloudformation_stacks')).map((r) => JSON.parse(r.body) as Stack).sort((a, b) => b.created - a.created);
  }

  /** A live stack by name, or any stack by id. */
  async find(nameOrId: string): Promise<Stack | undefined> {
    if (nameOrId.startsWith('arn:')) {
      const r = await this.o.store.get<{ body: string }>('SELECT body FROM cloudformation_stacks WHERE id = ?', [nameOrId]);
      return r ? (JSON.parse(r.body) as Stack) : undefined;
    }
    const rows = await this.o.store.all<{ body: string }>("SELECT body FROM cloudformation_stacks WHERE name = ? AND status <> 'DELETE_COMPLETE'", [nameOrId]);
    return rows.length ? (JSON.parse(rows[0]!.body) as Stack) : undefined;
  }

  async require(nameOrId: string): Promise<Stack> {
    const s = await this.find(nameOrId);
    if (!s) throw validation(`Stack with id ${nameOrId} does not exist`);
    return s;
  }

  async event(s: Stack, logicalId: string, type: string, physicalId: string, status: string, reason?: string): Promise<void> {
    const now = this.o.clock.now();
    const seq = Math.max(now * 1000, this.seq + 1);
    this.seq = seq;
    const e: StackEvent = { EventId: logicalId === s.name ? randomUUID() : `${logicalId}-${status}-${new Date(now).toISOString()}`, StackId: s.id, StackName: s.name, LogicalResourceId: logicalId, PhysicalResourceId: physicalId, ResourceType: type, Timestamp: now, ResourceStatus: status, seq };
    if (reason !== undefined) e.ResourceStatusReason = reason;
    await this.o.store.run('INSERT INTO cloudformation_events (stack_id, seq, body) VALUES (?, ?, ?)', [s.id, seq, JSON.stringify(e)]);
  }

  async events(stackId: string): Promise<StackEvent[]> {
    return (await this.o.store.all<{ body: string }>('SELECT body FROM cloudformation_events WHERE stack_id = ? ORDER BY seq DESC', [stackId])).map((r) => JSON.parse(r.body) as StackEvent);
  }

  private async stackStatus(s: Stack, status: string, reason?: string): Promise<void> {
    s.status = status;
    if (reason === undefined) delete s.reason;
    else s.reason = reason;
    await this.save(s);
    await this.event(s, s.name, 'AWS::CloudFormation::Stack', s.id, status, reason);
  }

  async saveChangeSet(c: ChangeSet): Promise<void> {
    await this.o.store.run('INSERT INTO cloudformation_changesets (id, stack_id, name, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body', [c.id, c.stackId, c.name, JSON.stringify(c)]);
  }

  async changeSets(stackId: string): Promise<ChangeSet[]> {
    return (await this.o.store.all<{ body: string }>('SELECT body FROM cloudformation_changesets WHERE stack_id = ?', [stackId])).map((r) => JSON.parse(r.body) as ChangeSet);
  }

  async findChangeSet(nameOrArn: string, stack?: string): Promise<ChangeSet> {
    let cs: ChangeSet | undefined;
    if (nameOrArn.startsWith('arn:')) {
      const r = await this.o.store.get<{ body: string }>('SELECT body FROM cloudformation_changesets WHERE id = ?', [nameOrArn]);
      cs = r ? (JSON.parse(r.body) as ChangeSet) : undefined;
    } else if (stack) {
      const s = await this.find(stack);
      if (s) cs = (await this.changeSets(s.id)).find((c) => c.name === nameOrArn);
    } else throw validation('StackName must be specified if ChangeSetName is not specified as an ARN.');
    if (!cs) throw new AwsError('ChangeSetNotFound', `ChangeSet [${nameOrArn}] does not exist`, { status: 404 });
    return cs;
  }

  async deleteChangeSet(id: string): Promise<void> {
    await this.o.store.run('DELETE FROM cloudformation_changesets WHERE id = ?', [id]);
  }

  // ---- planning

  stackId(region: string, name: string): string {
    return `arn:aws:cloudformation:${region}:${this.o.accountId}:stack/${name}/${randomUUID()}`;
  }

  region(s: { id: string }): string {
    return s.id.split(':')[3]!;
  }

  /** Parses the body, applies the SAM transform, checks capabilities; the processed template. */
  process(body: string, region: string, parameters: Record<string, string>, capabilities: string[], viaChangeSet: boolean): JsonObject {
    let tree: Json;
    try {
      tree = parseTemplate(body);
    } catch (e) {
      throw validation(e instanceof Error ? e.message : String(e));
    }
    if (!isObj(tree)) throw validation('Template format error: unsupported structure.');
    const transforms = Array.isArray(tree['Transform']) ? tree['Transform'] : tree['Transform'] === undefined ? [] : [tree['Transform']];
    if (transforms.includes(SERVERLESS)) {
      if (!viaChangeSet && !capabilities.includes('CAPABILITY_AUTO_EXPAND'))
        throw new AwsError('InsufficientCapabilitiesException', 'Requires capabilities : [CAPABILITY_AUTO_EXPAND]', { status: 400 });
      try {
        tree = transformSam(tree, { region, accountId: this.o.accountId, parameterOverrides: parameters }) as Json;
      } catch (e) {
        throw validation(`Transform AWS::Serverless-2016-10-31 failed with: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return tree as JsonObject;
  }

  /** The SSM values a stack operation starts with (see DynamicResolver.atStart); AWS's ValidationError when one is missing. */
  async fetchSsm(s: { id: string }, processed: JsonObject, parameters: Record<string, string>): Promise<Record<string, string>> {
    try {
      return await this.dynamic.atStart(this.region(s), parseModel(processed).template.parameters.values(), processed, parameters);
    } catch (e) {
      if (!(e instanceof AwsError)) throw validation(e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  prepare(s: { id: string; name: string; ssm?: Record<string, string> }, processed: JsonObject, parameters: Record<string, string>, capabilities?: string[], ssm = s.ssm ?? {}): PreparedStack {
    let p: PreparedStack;
    try {
      p = prepareStack(processed, { stack: { region: this.region(s), accountId: this.o.accountId, stackName: s.name, stackId: s.id }, parameters, ssm: (n) => ssm[n] });
    } catch (e) {
      throw validation(e instanceof Error ? e.message : String(e));
    }
    if (capabilities) {
      const need = requiredCapabilities(p.template);
      const missing = need.capabilities.filter((c) => !capabilities.includes(c) && !(c === 'CAPABILITY_IAM' && capabilities.includes('CAPABILITY_NAMED_IAM')));
      if (missing.length) throw new AwsError('InsufficientCapabilitiesException', `Requires capabilities : [${missing.join(', ')}]`, { status: 400 });
    }
    return p;
  }

  /** The changes from the stack's resources to a prepared template (properties evaluated with what is known). */
  plan(s: Stack, p: PreparedStack): Change[] {
    const out: Change[] = [];
    const resolvers = this.resolvers(s.resources, true);
    for (const id of p.graph.creationOrder) {
      const decl = p.template.resources.get(id)!;
      const cur = s.resources[id];
      if (!cur || cur.status === 'DELETE_COMPLETE') {
        out.push({ Action: 'Add', LogicalResourceId: id, ResourceType: decl.type });
        continue;
      }
      let props: JsonObject;
      try {
        props = evaluateResource(p, id, resolvers).properties;
      } catch {
        out.push({ Action: 'Modify', LogicalResourceId: id, PhysicalResourceId: cur.physicalId, ResourceType: decl.type, Replacement: 'Conditional' });
        continue;
      }
      if (cur.type !== decl.type) {
        out.push({ Action: 'Modify', LogicalResourceId: id, PhysicalResourceId: cur.physicalId, ResourceType: decl.type, Replacement: 'True' });
        continue;
      }
      if (JSON.stringify(props) === JSON.stringify(cur.properties)) continue;
      out.push({ Action: 'Modify', LogicalResourceId: id, PhysicalResourceId: cur.physicalId, ResourceType: decl.type, Replacement: this.replaces(decl.type, cur.properties, props) ? 'True' : 'False' });
    }
    for (const [id, r] of Object.entries(s.resources)) if (!p.graph.nodes.includes(id) && r.status !== 'DELETE_COMPLETE') out.push({ Action: 'Remove', LogicalResourceId: id, PhysicalResourceId: r.physicalId, ResourceType: r.type });
    return out;
  }

  private replaces(type: string, before: JsonObject, after: JsonObject): boolean {
    const prov = PROVIDERS[type];
    if (!prov || !prov.update) return true;
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].some((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]) && prov.createOnly.includes(k));
  }

  private resolvers(resources: Record<string, ResourceState>, lenient = false): Partial<Resolvers> {
    return {
      ref: (id) => {
        const r = resources[id];
        if (!r) {
          if (lenient) return `{{${id}}}`;
          throw new Error(`resource ${id} is not created`);
        }
        return r.ref ?? r.physicalId;
      },
      getAtt: (id, attr) => {
        const v = resources[id]?.attributes[attr];
        if (v === undefined) {
          if (lenient) return `{{${id}.${attr}}}`;
          throw new Error(`Attribute '${attr}' does not exist on ${id}`);
        }
        return v;
      },
      importValue: () => undefined,
    };
  }

  // ---- execution

  /** Starts an operation in the background (the answer does not wait); one at a time per stack, across nodes too. */
  launch(s: Stack): void {
    if (this.running.has(s.id)) return;
    this.running.add(s.id);
    void (async () => {
      const lease = `cloudformation:${s.id}`;
      if (!(await this.o.leases.acquire(lease))) return;
      try {
        await this.run(s);
      } finally {
        await this.o.leases.release(lease).catch(() => undefined);
      }
    })()
      .catch((e: unknown) => this.o.log(`selfless: cloudformation: stack ${s.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`))
      .finally(() => this.running.delete(s.id));
  }

  private ctx(s: Stack, logicalId: string): ProviderContext {
    return { call: this.o.call, region: this.region(s), accountId: this.o.accountId, stackName: s.name, logicalId };
  }

  private async run(s: Stack): Promise<void> {
    const pending = s.pending;
    if (!pending) return;
    if (pending.kind === 'delete') return this.runDelete(s);
    const importValue = await this.exportsMap();
    let prepared: PreparedStack;
    let ssm: Record<string, string>;
    try {
      ssm = await this.fetchSsm(s, pending.processed, pending.parameters);
      prepared = this.prepare(s, pending.processed, pending.parameters, undefined, ssm);
    } catch (e) {
      // A parameter deleted between the request and its run: the operation fails as a whole.
      return this.fail(s, pending.kind === 'create', `${s.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const failed = await this.apply(s, prepared, importValue);
    const create = pending.kind === 'create';
    if (!failed) {
      try {
        const r = { ...this.resolvers(s.resources), importValue: (n: string) => importValue.get(n) };
        s.outputs = evaluateOutputs(prepared, r).map((o) => ({ OutputKey: o.key, OutputValue: o.value, ...(o.description ? { Description: o.description } : {}), ...(o.exportName ? { ExportName: o.exportName } : {}) }));
      } catch (e) {
        return this.fail(s, create, `Output evaluation failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      s.templateBody = pending.templateBody;
      s.processed = pending.processed;
      s.parameters = pending.parameters;
      s.ssm = ssm;
      s.description = typeof pending.processed['Description'] === 'string' ? pending.processed['Description'] : undefined;
      if (!create) {
        await this.stackStatus(s, 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        await this.removeObsolete(s, pending.previous ?? {});
      }
      delete s.pending;
      await this.stackStatus(s, create ? 'CREATE_COMPLETE' : 'UPDATE_COMPLETE');
      return;
    }
    return this.fail(s, create, failed);
  }

  private async fail(s: Stack, create: boolean, reason: string): Promise<void> {
    if (create) {
      if (s.disableRollback) {
        delete s.pending;
        await this.stackStatus(s, 'CREATE_FAILED', reason);
        return;
      }
      await this.stackStatus(s, 'ROLLBACK_IN_PROGRESS', `The following resource(s) failed to create: [${reason.split(':')[0]}]. Rollback requested by user.`);
      await this.deleteAll(s, s.resources);
      delete s.pending;
      await this.stackStatus(s, 'ROLLBACK_COMPLETE');
      return;
    }
    await this.stackStatus(s, 'UPDATE_ROLLBACK_IN_PROGRESS', `The following resource(s) failed to update: [${reason.split(':')[0]}]. `);
    const previous = s.pending?.previous ?? {};
    // Resources added by the update go; those changed get their previous properties back.
    const added: Record<string, ResourceState> = {};
    for (const [id, r] of Object.entries(s.resources)) if (!previous[id] && r.status !== 'DELETE_COMPLETE') added[id] = r;
    await this.deleteAll(s, added);
    for (const [id, prev] of Object.entries(previous)) {
      const cur = s.resources[id];
      if (cur && JSON.stringify(cur.properties) !== JSON.stringify(prev.properties) && cur.physicalId === prev.physicalId) {
        const prov = PROVIDERS[prev.type];
        await this.live(s, prev)
          .then((props) => prov?.update?.(props, prev, this.ctx(s, id)))
          .catch(() => undefined);
      }
      if (cur && cur.physicalId !== prev.physicalId) await this.deleteOne(s, id, cur);
      s.resources[id] = { ...prev, status: 'UPDATE_COMPLETE' };
    }
    delete s.pending;
    await this.stackStatus(s, 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    await this.stackStatus(s, 'UPDATE_ROLLBACK_COMPLETE');
  }

  /** Creates and updates in waves; the failing resource's "Id: reason", or undefined. */
  private async apply(s: Stack, p: PreparedStack, imports: Map<string, string>): Promise<string | undefined> {
    let failure: string | undefined;
    for (const wave of p.graph.creationWaves) {
      await Promise.all(
        wave.map(async (id) => {
          if (failure) return;
          const r = await this.applyOne(s, p, id, imports);
          if (r && !failure) failure = `${id}: ${r}`;
        }),
      );
      await this.save(s);
      if (failure) return failure;
    }
    return undefined;
  }

  private async applyOne(s: Stack, p: PreparedStack, id: string, imports: Map<string, string>): Promise<string | undefined> {
    const decl = p.template.resources.get(id)!;
    const cur = s.resources[id];
    let props: JsonObject;
    let ev;
    try {
      ev = evaluateResource(p, id, { ...this.resolvers(s.resources), importValue: (n) => imports.get(n) });
      props = ev.properties;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      await this.event(s, id, decl.type, '', cur ? 'UPDATE_FAILED' : 'CREATE_FAILED', reason);
      return reason;
    }
    const prov = PROVIDERS[decl.type];
    const now = this.o.clock.now();
    if (!prov) {
      if (s.skipUnsupported) {
        if (!cur) {
          s.resources[id] = { type: decl.type, physicalId: '', attributes: {}, properties: props, status: 'CREATE_COMPLETE', updated: now, skipped: true, reason: 'skipped: unsupported resource type' };
          await this.event(s, id, decl.type, '', 'CREATE_COMPLETE', `Unsupported resource type ${decl.type}: skipped`);
        }
        return undefined;
      }
      const reason = `Unsupported resource type ${decl.type}`;
      await this.event(s, id, decl.type, '', 'CREATE_FAILED', reason);
      return reason;
    }
    const c = this.ctx(s, id);
    // The stack keeps the properties with their references (as AWS, a changed SSM value alone updates nothing);
    // providers get the values, and secret values are masked in whatever reason a failure gives.
    let live: JsonObject;
    let secrets: string[] = [];
    const updating = cur && cur.status !== 'DELETE_COMPLETE' && !cur.skipped ? cur : undefined;
    if (updating && updating.type === decl.type && JSON.stringify(updating.properties) === JSON.stringify(props)) return undefined;
    try {
      ({ properties: live, secrets } = await this.dynamic.properties(decl.type, this.region(s), props));
    } catch (e) {
      const reason = reasonOf(e);
      await this.event(s, id, decl.type, updating ? updating.physicalId : '', updating ? 'UPDATE_FAILED' : 'CREATE_FAILED', reason);
      return reason;
    }
    if (updating) {
      const cur = updating;
      await this.event(s, id, decl.type, cur.physicalId, 'UPDATE_IN_PROGRESS');
      try {
        let next: Created;
        if (cur.type === decl.type && !this.replaces(decl.type, cur.properties, props)) next = await prov.update!(live, cur, c);
        else {
          await this.event(s, id, decl.type, cur.physicalId, 'UPDATE_IN_PROGRESS', 'Requested update requires the creation of a new physical resource; hence creating one.');
          next = await prov.create(live, c);
          await this.event(s, id, decl.type, next.physicalId, 'UPDATE_IN_PROGRESS', 'Resource creation Initiated');
        }
        s.resources[id] = { ...next, type: decl.type, properties: props, status: 'UPDATE_COMPLETE', updated: now, deletionPolicy: ev.deletionPolicy };
        await this.event(s, id, decl.type, next.physicalId, 'UPDATE_COMPLETE');
        return undefined;
      } catch (e) {
        const reason = masked(reasonOf(e), secrets);
        await this.event(s, id, decl.type, cur.physicalId, 'UPDATE_FAILED', reason);
        return reason;
      }
    }
    await this.event(s, id, decl.type, '', 'CREATE_IN_PROGRESS');
    try {
      const made = await prov.create(live, c);
      await this.event(s, id, decl.type, made.physicalId, 'CREATE_IN_PROGRESS', 'Resource creation Initiated');
      s.resources[id] = { ...made, type: decl.type, properties: props, status: 'CREATE_COMPLETE', updated: now, deletionPolicy: ev.deletionPolicy };
      await this.save(s);
      await this.event(s, id, decl.type, made.physicalId, 'CREATE_COMPLETE');
      return undefined;
    } catch (e) {
      const reason = masked(reasonOf(e), secrets);
      await this.event(s, id, decl.type, '', 'CREATE_FAILED', reason);
      return reason;
    }
  }

  /** After an update: the replaced physical resources and the removed ones go. */
  private async removeObsolete(s: Stack, previous: Record<string, ResourceState>): Promise<void> {
    const order = Object.keys(previous).reverse();
    for (const id of order) {
      const prev = previous[id]!;
      const cur = s.resources[id];
      const inTemplate = isObj(s.processed['Resources']) && (s.processed['Resources'] as JsonObject)[id] !== undefined;
      if (cur && cur.physicalId !== prev.physicalId) await this.deleteOne(s, id, prev, true);
      else if (!inTemplate || !this.prepare(s, s.processed, s.parameters).graph.nodes.includes(id)) {
        await this.deleteOne(s, id, prev);
        delete s.resources[id];
      }
    }
    await this.save(s);
  }

  private async deleteOne(s: Stack, id: string, r: ResourceState, replaced = false): Promise<boolean> {
    if (r.skipped || r.status === 'DELETE_COMPLETE') return true;
    if (r.deletionPolicy === 'Retain') {
      await this.event(s, id, r.type, r.physicalId, 'DELETE_SKIPPED');
      return true;
    }
    await this.event(s, id, r.type, r.physicalId, 'DELETE_IN_PROGRESS');
    try {
      await PROVIDERS[r.type]?.delete(r, await this.live(s, r), this.ctx(s, id));
    } catch (e) {
      const reason = reasonOf(e);
      if (!/not ?found|does not exist|NonExistent/i.test(reason)) {
        await this.event(s, id, r.type, r.physicalId, 'DELETE_FAILED', reason);
        return false;
      }
    }
    if (!replaced) r.status = 'DELETE_COMPLETE';
    await this.event(s, id, r.type, r.physicalId, 'DELETE_COMPLETE');
    return true;
  }

  /** A resource's stored properties with their dynamic references resolved (as written when one no longer resolves). */
  private async live(s: Stack, r: ResourceState): Promise<JsonObject> {
    return this.dynamic.properties(r.type, this.region(s), r.properties).then((x) => x.properties, () => r.properties);
  }

  /** Deletes resources, dependents first (reverse of the order they were created in). */
  private async deleteAll(s: Stack, resources: Record<string, ResourceState>): Promise<string | undefined> {
    const ids = Object.keys(resources).sort((a, b) => resources[b]!.updated - resources[a]!.updated || Object.keys(s.resources).indexOf(b) - Object.keys(s.resources).indexOf(a));
    let failed: string | undefined;
    for (const id of ids) if (!(await this.deleteOne(s, id, resources[id]!))) failed ??= id;
    await this.save(s);
    return failed;
  }

  private async runDelete(s: Stack): Promise<void> {
    const failed = await this.deleteAll(s, s.resources);
    delete s.pending;
    if (failed) return this.stackStatus(s, 'DELETE_FAILED', `The following resource(s) failed to delete: [${failed}]. `);
    s.deleted = this.o.clock.now();
    await this.stackStatus(s, 'DELETE_COMPLETE');
    for (const c of await this.changeSets(s.id)) await this.deleteChangeSet(c.id);
  }

  async exportsMap(): Promise<Map<string, string>> {
    const m = new Map<string, string>();
    for (const s of await this.all()) if (s.status !== 'DELETE_COMPLETE') for (const o of s.outputs) if (o.ExportName) m.set(o.ExportName, o.OutputValue);
    return m;
  }

  /** After a restart: operations left in progress are run again (their target was kept) or rolled back. */
  async resume(): Promise<void> {
    for (const s of await this.all()) {
      if (!s.pending) continue;
      if (s.status.endsWith('ROLLBACK_IN_PROGRESS')) {
        // A rollback interrupted: finish it.
        await this.fail(s, s.status === 'ROLLBACK_IN_PROGRESS', 'interrupted');
        continue;
      }
      this.launch(s);
    }
  }
}

function reasonOf(e: unknown): string {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) return `${String((e as { message: string }).message)} (Service: ${String((e as { code: string }).code)})`;
  return e instanceof Error ? e.message : String(e);
}
