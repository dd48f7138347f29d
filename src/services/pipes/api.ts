// EventBridge Pipes API (rest-json, SigV4 service `pipes`): CreatePipe … StopPipe, with AWS's shapes and errors.
import type { Clock } from '../../lib/clock.js';
import type { ApiRequest, RestRoute } from '../../server/types.js';
import { invalidMember, pipeExists, pipeMissing, serialization, validation } from './errors.js';
import { pipeArn, settled, type CurrentState, type DesiredState, type PipeSettings, type PipeTables, type StoredPipe } from './model.js';

type Json = Record<string, unknown>;

function body(req: ApiRequest): Json {
  if (req.body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString('utf8'));
  } catch {
    throw serialization();
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw serialization();
  return v as Json;
}

const NAME = /^[.\-_A-Za-z0-9]+$/;
const ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-]+):([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})?:(\d{12})?:(.+)$/;
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z0-9+=,.@\-_/]+$/;

function checkName(name: string, field = 'name'): string {
  if (name.length < 1 || name.length > 64) throw invalidMember(field, name, 'Member must have length between 1 and 64');
  if (!NAME.test(name)) throw invalidMember(field, name, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
  return name;
}

function optString(b: Json, key: string, max: number): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw validation(`Invalid type for field '${key}': expected a string.`);
  if (v.length > max) throw invalidMember(key, v, `Member must have length less than or equal to ${max}`);
  return v;
}

function arnField(b: Json, key: string, required: boolean, pattern = ARN, patternText = ARN.source.slice(1, -1)): string | undefined {
  const v = optString(b, key, 1600);
  if (v === undefined || v === '') {
    if (required) throw invalidMember(key, undefined, 'Member must not be null');
    return v;
  }
  if (!pattern.test(v)) throw invalidMember(key, v, `Member must satisfy regular expression pattern: ${patternText}`);
  return v;
}

function desired(b: Json): DesiredState | undefined {
  const v = b['DesiredState'];
  if (v === undefined || v === null) return undefined;
  if (v !== 'RUNNING' && v !== 'STOPPED') throw invalidMember('desiredState', v, 'Member must satisfy enum value set: [RUNNING, STOPPED]');
  return v;
}

function obj<T>(b: Json, key: string): T | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw validation(`Invalid type for field '${key}': expected an object.`);
  return v as T;
}

/** The source batch size: 1–10 for SQS standard queues, as AWS bounds it. */
function checkSource(s: PipeSettings): void {
  const sqs = s.SourceParameters?.SqsQueueParameters;
  const size = sqs?.BatchSize;
  if (size !== undefined && (!Number.isInteger(size) || size < 1 || size > 10000)) {
    throw invalidMember('sourceParameters.sqsQueueParameters.batchSize', size, 'Member must have value between 1 and 10000');
  }
  if (size !== undefined && size > 10 && s.Source.startsWith('arn:aws:sqs:') && (sqs?.MaximumBatchingWindowInSeconds ?? 0) === 0) {
    throw validation('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  }
  for (const f of s.SourceParameters?.FilterCriteria?.Filters ?? []) {
    if (f.Pattern !== undefined) {
      try {
        JSON.parse(f.Pattern);
      } catch {
        throw validation(`Invalid filter pattern definition.`);
      }
    }
  }
}

function settings(b: Json, cur?: StoredPipe): PipeSettings {
  const source = cur ? cur.Source : arnField(b, 'Source', true)!;
  const s: PipeSettings = {
    Source: source,
    Target: arnField(b, 'Target', !cur) ?? cur?.Target ?? '',
    RoleArn: arnField(b, 'RoleArn', true, ROLE, 'arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z0-9+=,.@\\-_/]+')!,
  };
  const description = optString(b, 'Description', 512) ?? cur?.Description;
  if (description !== undefined) s.Description = description;
  const enrichment = b['Enrichment'] === undefined ? cur?.Enrichment : arnField(b, 'Enrichment', false);
  if (enrichment) s.Enrichment = enrichment;
  const sp = obj<PipeSettings['SourceParameters']>(b, 'SourceParameters') ?? cur?.SourceParameters;
  if (sp) s.SourceParameters = sp;
  const ep = obj<PipeSettings['EnrichmentParameters']>(b, 'EnrichmentParameters') ?? cur?.EnrichmentParameters;
  if (ep) s.EnrichmentParameters = ep;
  const tp = obj<PipeSettings['TargetParameters']>(b, 'TargetParameters') ?? cur?.TargetParameters;
  if (tp) s.TargetParameters = tp;
  const lc = obj<unknown>(b, 'LogConfiguration') ?? cur?.LogConfiguration;
  if (lc) s.LogConfiguration = lc;
  const kms = optString(b, 'KmsKeyIdentifier', 2048) ?? cur?.KmsKeyIdentifier;
  if (kms) s.KmsKeyIdentifier = kms;
  checkSource(s);
  return s;
}

function tags(b: Json): Record<string, string> {
  const t = obj<Record<string, unknown>>(b, 'Tags') ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(t)) {
    if (typeof v !== 'string') throw validation(`Invalid type for field 'Tags.${k}': expected a string.`);
    if (k.length < 1 || k.length > 128) throw invalidMember('tags', k, 'Member must have length between 1 and 128');
    if (v.length > 256) throw invalidMember('tags', v, 'Member must have length less than or equal to 256');
    out[k] = v;
  }
  if (Object.keys(out).length > 50) throw invalidMember('tags', 'Tags', 'Member must have length less than or equal to 50');
  return out;
}

const seconds = (ms: number): number => ms / 1000;

export interface PipeEvents {
  /** A pipe was created, changed, started, stopped or deleted (`pipe` undefined): the runner follows at once. */
  changed(region: string, name: string, pipe: StoredPipe | undefined): void;
}

export function pipesRoutes(tables: PipeTables, clock: Clock, accountId: string, events: PipeEvents): RestRoute[] {
  const brief = (p: StoredPipe, state: CurrentState): Json => ({
    Arn: pipeArn(accountId, p.region, p.Name),
    Name: p.Name,
    DesiredState: p.DesiredState,
    CurrentState: state,
    CreationTime: seconds(p.CreationTime),
    LastModifiedTime: seconds(p.LastModifiedTime),
  });
  const full = (p: StoredPipe): Json => ({
    ...brief(p, settled(p)),
    ...(p.Description !== undefined ? { Description: p.Description } : {}),
    Source: p.Source,
    ...(p.SourceParameters ? { SourceParameters: p.SourceParameters } : {}),
    ...(p.Enrichment ? { Enrichment: p.Enrichment } : {}),
    ...(p.EnrichmentParameters ? { EnrichmentParameters: p.EnrichmentParameters } : {}),
    Target: p.Target,
    ...(p.TargetParameters ? { TargetParameters: p.TargetParameters } : {}),
    RoleArn: p.RoleArn,
    Tags: p.Tags,
    ...(p.LogConfiguration ? { LogConfiguration: p.LogConfiguration } : {}),
    ...(p.KmsKeyIdentifier ? { KmsKeyIdentifier: p.KmsKeyIdentifier } : {}),
  });
  const existing = async (req: ApiRequest): Promise<StoredPipe> => {
    const name = checkName(req.params['Name'] ?? '');
    const p = await tables.pipe(req.region, name);
    if (!p) throw pipeMissing(name);
    return p;
  };
  /** Start and Stop: the desired state changes, the answer shows the transition (STARTING / STOPPING). */
  const turn = (to: DesiredState, via: CurrentState) => async (req: ApiRequest) => {
    const p = await existing(req);
    const next: StoredPipe = { ...p, DesiredState: to, LastModifiedTime: clock.now() };
    if (!(await tables.save(next))) throw pipeMissing(p.Name);
    events.changed(p.region, p.Name, next);
    return { body: brief(next, via) };
  };

  return [
    {
      op: 'CreatePipe',
      method: 'POST',
      path: '/v1/pipes/{Name}',
      handler: async (req) => {
        const name = checkName(req.params['Name'] ?? '');
        const b = body(req);
        const now = clock.now();
        const p: StoredPipe = { region: req.region, Name: name, ...settings(b), DesiredState: desired(b) ?? 'RUNNING', CreationTime: now, LastModifiedTime: now, Tags: tags(b) };
        if (!(await tables.create(p))) throw pipeExists(name);
        events.changed(p.region, p.Name, p);
        return { body: brief(p, 'CREATING') };
      },
    },
    {
      op: 'DescribePipe',
      method: 'GET',
      path: '/v1/pipes/{Name}',
      handler: async (req) => ({ body: full(await existing(req)) }),
    },
    {
      op: 'UpdatePipe',
      method: 'PUT',
      path: '/v1/pipes/{Name}',
      handler: async (req) => {
        const cur = await existing(req);
        const b = body(req);
        const next: StoredPipe = { ...cur, ...settings(b, cur), DesiredState: desired(b) ?? cur.DesiredState, LastModifiedTime: clock.now() };
        if (!(await tables.save(next))) throw pipeMissing(cur.Name);
        events.changed(next.region, next.Name, next);
        return { body: brief(next, 'UPDATING') };
      },
    },
    {
      op: 'DeletePipe',
      method: 'DELETE',
      path: '/v1/pipes/{Name}',
      handler: async (req) => {
        const p = await existing(req);
        if (!(await tables.delete(p.region, p.Name))) throw pipeMissing(p.Name);
        events.changed(p.region, p.Name, undefined);
        return { body: brief(p, 'DELETING') };
      },
    },
    { op: 'StartPipe', method: 'POST', path: '/v1/pipes/{Name}/start', handler: turn('RUNNING', 'STARTING') },
    { op: 'StopPipe', method: 'POST', path: '/v1/pipes/{Name}/stop', handler: turn('STOPPED', 'STOPPING') },
    {
      op: 'ListPipes',
      method: 'GET',
      path: '/v1/pipes',
      handler: async (req) => {
        const q = req.query;
        const prefix = q.get('NamePrefix');
        if (prefix !== null) checkName(prefix, 'namePrefix');
        const want = q.get('DesiredState');
        if (want !== null && want !== 'RUNNING' && want !== 'STOPPED') throw invalidMember('desiredState', want, 'Member must satisfy enum value set: [RUNNING, STOPPED]');
        const current = q.get('CurrentState');
        const [src, tgt] = [q.get('SourcePrefix'), q.get('TargetPrefix')];
        const rawLimit = q.get('Limit');
        const limit = rawLimit === null ? 100 : Number(rawLimit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalidMember('limit', rawLimit, 'Member must have value between 1 and 100');
        const token = q.get('NextToken');
        if (token !== null && !/^\d+$/.test(token)) throw validation('Invalid NextToken.');
        const all = (await tables.pipes(req.region)).filter(
          (p) =>
            (prefix === null || p.Name.startsWith(prefix)) &&
            (want === null || p.DesiredState === want) &&
            (current === null || settled(p) === current) &&
            (src === null || p.Source.startsWith(src)) &&
            (tgt === null || p.Target.startsWith(tgt)),
        );
        const start = token === null ? 0 : Number(token);
        const items = all.slice(start, start + limit);
        return {
          body: {
            Pipes: items.map((p) => ({ ...brief(p, settled(p)), Source: p.Source, Target: p.Target, ...(p.Enrichment ? { Enrichment: p.Enrichment } : {}) })),
            ...(start + limit < all.length ? { NextToken: String(start + limit) } : {}),
          },
        };
      },
    },
  ];
}
