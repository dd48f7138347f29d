// The SSM Parameter Store API (JSON 1.1, `AmazonSSM.*`): parameters, versions, labels, paths, history.
import { AwsError } from '../../lib/errors.js';
import { need, parseJsonObject, str, type JsonObject } from '../../lib/validate.js';
import type { ApiRequest, Handler, ServiceRoutes } from '../../server/types.js';
import * as E from './errors.js';
import type { ParamRow, Params } from './params.js';

type Body = JsonObject;
const parse = (req: ApiRequest): Body => parseJsonObject(req.body);
function page<T>(items: T[], b: Body, dflt: number): { items: T[]; next?: string } {
  const tok = str(b, 'NextToken');
  const start = tok ? Number(Buffer.from(tok, 'base64').toString()) || 0 : 0;
  const n = typeof b['MaxResults'] === 'number' ? (b['MaxResults'] as number) : dflt;
  return { items: items.slice(start, start + n), ...(start + n < items.length ? { next: Buffer.from(String(start + n)).toString('base64') } : {}) };
}

export function ssmRoutes(p: Params): ServiceRoutes {
  const out = async (r: ParamRow, decrypt: boolean, selector?: string): Promise<Body> => ({
    Name: r.name, Type: r.type, Value: await p.value(r, decrypt), Version: r.version, LastModifiedDate: r.modified, ARN: p.arn(r.region, r.name), DataType: 'text',
    ...(selector ? { Selector: selector } : {}),
  });
  const ops: Record<string, Handler> = {
    PutParameter: async (r) => {
      const b = parse(r);
      const res = await p.put(r.region, {
        name: need(b, 'Name'), value: need(b, 'Value'), type: str(b, 'Type'), keyId: str(b, 'KeyId'), description: str(b, 'Description'),
        overwrite: b['Overwrite'] === true, tier: str(b, 'Tier'), pattern: str(b, 'AllowedPattern'),
      });
      return { body: { Version: res.version, Tier: res.tier } };
    },
    GetParameter: async (r) => {
      const b = parse(r);
      const ref = need(b, 'Name');
      const row = await p.select(r.region, ref);
      const i = ref.lastIndexOf(':');
      return { body: { Parameter: await out(row, b['WithDecryption'] === true, i > 0 ? ref.slice(i) : undefined) } };
    },
    GetParameters: async (r) => {
      const b = parse(r);
      const names = Array.isArray(b['Names']) ? (b['Names'] as string[]) : [];
      const found: Body[] = [];
      const invalid: string[] = [];
      for (const n of names) {
        try {
          found.push(await out(await p.select(r.region, n), b['WithDecryption'] === true));
        } catch (e) {
          if (e instanceof AwsError && (e.code === 'ParameterNotFound' || e.code === 'ParameterVersionNotFound')) invalid.push(n);
          else throw e;
        }
      }
      return { body: { Parameters: found, InvalidParameters: invalid } };
    },
    GetParametersByPath: async (r) => {
      const b = parse(r);
      const path = need(b, 'Path');
      const base = path.endsWith('/') ? path : `${path}/`;
      const rec = b['Recursive'] === true;
      const rows = (await p.all(r.region)).filter((x) => x.name.startsWith(base) && (rec || !x.name.slice(base.length).includes('/')));
      const pg = page(rows, b, 10);
      const items = await Promise.all(pg.items.map((x) => out(x, b['WithDecryption'] === true)));
      return { body: { Parameters: items, ...(pg.next ? { NextToken: pg.next } : {}) } };
    },
    GetParameterHistory: async (r) => {
      const b = parse(r);
      const hist = await p.history(r.region, need(b, 'Name'));
      if (!hist.length) throw E.notFound();
      const pg = page(hist, b, 50);
      const items = await Promise.all(pg.items.map(async (h) => ({
        ...(await out(h, b['WithDecryption'] === true)), Labels: JSON.parse(h.labels) as string[], Tier: h.tier, Policies: [],
        ...(h.key_id ? { KeyId: h.key_id } : {}), ...(h.description ? { Description: h.description } : {}), ...(h.pattern ? { AllowedPattern: h.pattern } : {}),
      })));
      return { body: { Parameters: items, ...(pg.next ? { NextToken: pg.next } : {}) } };
    },
    DescribeParameters: async (r) => {
      const b = parse(r);
      const rows = await p.all(r.region);
      const pg = page(rows, b, 50);
      return {
        body: {
          Parameters: pg.items.map((h) => ({
            Name: h.name, ARN: p.arn(h.region, h.name), Type: h.type, LastModifiedDate: h.modified, Version: h.version, Tier: h.tier, Policies: [], DataType: 'text',
            ...(h.key_id ? { KeyId: h.key_id } : {}), ...(h.description ? { Description: h.description } : {}),
          })),
          ...(pg.next ? { NextToken: pg.next } : {}),
        },
      };
    },
    DeleteParameter: async (r) => {
      if (!(await p.delete(r.region, need(parse(r), 'Name')))) throw E.notFound();
      return { body: {} };
    },
    DeleteParameters: async (r) => {
      const b = parse(r);
      const deleted: string[] = [];
      const invalid: string[] = [];
      for (const n of Array.isArray(b['Names']) ? (b['Names'] as string[]) : []) ((await p.delete(r.region, n)) ? deleted : invalid).push(n);
      return { body: { DeletedParameters: deleted, InvalidParameters: invalid } };
    },
    LabelParameterVersion: async (r) => {
      const b = parse(r);
      const name = need(b, 'Name');
      const labels = Array.isArray(b['Labels']) ? (b['Labels'] as string[]) : [];
      const hist = await p.history(r.region, name);
      if (!hist.length) throw E.notFound();
      const v = typeof b['ParameterVersion'] === 'number' ? (b['ParameterVersion'] as number) : hist[hist.length - 1]!.version;
      const target = hist.find((h) => h.version === v);
      if (!target) throw E.versionNotFound(name, String(v));
      const invalid = labels.filter((l) => /^\d/.test(l) || /^(aws|ssm)/i.test(l));
      const ok = labels.filter((l) => !invalid.includes(l));
      for (const h of hist) {
        const cur = JSON.parse(h.labels) as string[];
        const next = h === target ? [...new Set([...cur, ...ok])] : cur.filter((l) => !ok.includes(l));
        if (next.length !== cur.length || h === target) await p.setLabels(h, next);
      }
      return { body: { InvalidLabels: invalid, ParameterVersion: v } };
    },
    UnlabelParameterVersion: async (r) => {
      const b = parse(r);
      const name = need(b, 'Name');
      const labels = Array.isArray(b['Labels']) ? (b['Labels'] as string[]) : [];
      const hist = await p.history(r.region, name);
      const target = hist.find((h) => h.version === b['ParameterVersion']);
      if (!target) throw hist.length ? E.versionNotFound(name, String(b['ParameterVersion'])) : E.notFound();
      const cur = JSON.parse(target.labels) as string[];
      await p.setLabels(target, cur.filter((l) => !labels.includes(l)));
      return { body: { RemovedLabels: labels.filter((l) => cur.includes(l)), InvalidLabels: labels.filter((l) => !cur.includes(l)) } };
    },
  };
  return { json: [{ targetPrefix: 'AmazonSSM', ops }] };
}
