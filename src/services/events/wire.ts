// Request decoding shared by EventBridge's handlers: the JSON body, AWS's member constraints, names, pages.
import type { ApiRequest } from '../../server/types.js';
import { invalid, serialization, validation } from './errors.js';

export type Body = Record<string, unknown>;

export function body(req: ApiRequest): Body {
  let v: unknown;
  try {
    v = req.body.length ? JSON.parse(req.body.toString('utf8')) : {};
  } catch {
    throw serialization('Request body is not valid JSON.');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw serialization('Request body must be a JSON object.');
  return v as Body;
}

export function optStr(b: Body, name: string, field: string, max: number, min = 0): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serialization(`Unexpected value for ${name}: expected a string.`);
  if (v.length > max) throw invalid(field, v, `Member must have length less than or equal to ${max}`);
  if (v.length < min) throw invalid(field, v, `Member must have length greater than or equal to ${min}`);
  return v;
}

export function reqStr(b: Body, name: string, field: string, max: number, min = 1): string {
  const v = optStr(b, name, field, max, min);
  if (v === undefined) throw invalid(field, null, 'Member must not be null');
  return v;
}

const NAME_RE = /^[.\-_A-Za-z0-9]+$/;

/** A rule, target, archive or replay name: [.\-_A-Za-z0-9]+ of at most `max` characters. */
export function name(b: Body, key: string, field: string, max = 64): string {
  const v = reqStr(b, key, field, max);
  if (!NAME_RE.test(v)) throw invalid(field, v, 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+');
  return v;
}

export function optBool(b: Body, key: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw serialization(`Unexpected value for ${key}: expected a boolean.`);
  return v;
}

export function optInt(b: Body, key: string, field: string, min: number, max: number): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw serialization(`Unexpected value for ${key}: expected an integer.`);
  if (v < min) throw invalid(field, v, `Member must have value greater than or equal to ${min}`);
  if (v > max) throw invalid(field, v, `Member must have value less than or equal to ${max}`);
  return v;
}

export function limitOf(b: Body, max = 100): number {
  const v = b['Limit'];
  if (v === undefined || v === null) return max;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw invalid('limit', v, `Member must have value between 1 and ${max}`);
  return v;
}

/** Pages by position: NextToken is the index of the next item. */
export function page<T>(items: T[], b: Body, limit = limitOf(b)): { items: T[]; next?: string } {
  const token = b['NextToken'];
  if (token !== undefined && token !== null && (typeof token !== 'string' || !/^\d+$/.test(token))) throw validation('The NextToken is not valid.');
  const start = typeof token === 'string' ? Number(token) : 0;
  const out = items.slice(start, start + limit);
  return { items: out, ...(start + limit < items.length ? { next: String(start + limit) } : {}) };
}

/** A timestamp member as the JSON protocol carries it (epoch seconds, fractional). */
export function optTime(b: Body, key: string): number | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.round(v * 1000);
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  throw serialization(`Unexpected value for ${key}: expected a timestamp.`);
}

export interface Tag {
  Key: string;
  Value: string;
}

export function tagsOf(b: Body, key = 'Tags'): Tag[] | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw serialization(`Unexpected value for ${key}: expected a list.`);
  if (v.length > 50) throw invalid('tags', 'list', 'Member must have length less than or equal to 50');
  return v.map((t) => {
    if (!t || typeof t !== 'object') throw serialization('Each tag must be an object.');
    const o = t as Body;
    return { Key: reqStr(o, 'Key', 'tags.member.key', 128), Value: reqStr(o, 'Value', 'tags.member.value', 256, 0) };
  });
}

/** Tags merged by key (a new value replaces the old one). */
export function mergeTags(old: Tag[] | undefined, add: Tag[]): Tag[] {
  const m = new Map((old ?? []).map((t) => [t.Key, t.Value]));
  for (const t of add) m.set(t.Key, t.Value);
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

/** The bus a request names (by name or ARN); `default` when absent. */
export function busName(b: Body, key = 'EventBusName', field = 'eventBusName'): string {
  const v = optStr(b, key, field, 1600, 1);
  if (v === undefined) return 'default';
  const m = /^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus\/(.+)$/.exec(v);
  const n = m ? m[1]! : v;
  if (!/^[/.\-_A-Za-z0-9]+$/.test(n)) throw invalid(field, v, 'Member must satisfy regular expression pattern: (arn:aws[\\w-]*:events:[a-z]+-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+');
  return n;
}
