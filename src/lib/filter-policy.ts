// SNS subscription filter policies: validation (AWS's messages) and matching on message attributes or the JSON body.
// A small implementation (exact strings and numbers, prefix, anything-but, exists, numeric ranges); the complete one
// replaces it with the same two functions.

type Attr = { DataType: string; StringValue?: string; BinaryValue?: Buffer };
type Scope = 'MessageAttributes' | 'MessageBody';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validateFilterPolicy(text: string, scope: Scope): string | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return 'Invalid parameter: FilterPolicy: failed to parse JSON.';
  }
  if (!isObj(policy)) return 'Invalid parameter: FilterPolicy: Filter policy must be a JSON object';
  const check = (o: Record<string, unknown>, depth: number): string | undefined => {
    for (const [k, v] of Object.entries(o)) {
      if (isObj(v)) {
        if (scope === 'MessageAttributes') return 'Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy';
        const e = check(v, depth + 1);
        if (e) return e;
        continue;
      }
      if (!Array.isArray(v)) return `Invalid parameter: FilterPolicy: "${k}" must be an object or an array`;
      for (const c of v) {
        if (c === null || typeof c === 'string' || typeof c === 'number' || typeof c === 'boolean') continue;
        if (!isObj(c)) return 'Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null';
        const [op] = Object.keys(c);
        if (op === 'exists' && typeof c['exists'] !== 'boolean') return 'Invalid parameter: FilterPolicy: exists match pattern must be either true or false.';
        if (op !== 'exists' && op !== 'prefix' && op !== 'anything-but' && op !== 'numeric') return `Invalid parameter: FilterPolicy: Unrecognized match type ${op ?? ''}`;
      }
    }
    return undefined;
  };
  return check(policy, 1);
}

function matchOne(cond: unknown, value: string | number | boolean | null | undefined, present: boolean): boolean {
  if (isObj(cond)) {
    if ('exists' in cond) return cond['exists'] === present;
    if (!present) return false;
    if ('prefix' in cond) return typeof value === 'string' && value.startsWith(String(cond['prefix']));
    if ('anything-but' in cond) {
      const ab = cond['anything-but'];
      if (isObj(ab) && 'prefix' in ab) return !(typeof value === 'string' && value.startsWith(String(ab['prefix'])));
      const list = Array.isArray(ab) ? ab : [ab];
      return !list.some((x) => x === value || (typeof x === 'number' && Number(value) === x));
    }
    if ('numeric' in cond) {
      const n = typeof value === 'number' ? value : Number(value);
      if (typeof value === 'string' || !Number.isFinite(n)) return false;
      const ops = cond['numeric'] as unknown[];
      for (let i = 0; i + 1 < ops.length; i += 2) {
        const x = Number(ops[i + 1]);
        const ok = { '=': n === x, '<': n < x, '<=': n <= x, '>': n > x, '>=': n >= x }[String(ops[i])];
        if (!ok) return false;
      }
      return true;
    }
    return false;
  }
  if (!present) return false;
  if (typeof cond === 'number') return typeof value === 'number' ? value === cond : false;
  return cond === value;
}

/** The attribute as filter values: a Number is a number, a String.Array its elements; Binary matches nothing. */
function attrValues(a: Attr): (string | number | boolean | null)[] | undefined {
  if (a.DataType.startsWith('Binary')) return undefined;
  const s = a.StringValue ?? '';
  if (a.DataType.startsWith('Number')) return [Number(s)];
  if (a.DataType.startsWith('String.Array')) {
    try {
      const v = JSON.parse(s) as unknown;
      if (Array.isArray(v)) return v.filter((x) => x === null || ['string', 'number', 'boolean'].includes(typeof x)) as (string | number | boolean | null)[];
    } catch {
      /* not an array: matches nothing */
    }
    return [];
  }
  return [s];
}

function matchValues(conds: unknown[], values: (string | number | boolean | null)[] | undefined): boolean {
  const present = values !== undefined;
  if (!present) return conds.some((c) => matchOne(c, undefined, false));
  return conds.some((c) => (isObj(c) && 'exists' in c ? matchOne(c, undefined, true) : values.some((v) => matchOne(c, v, true))));
}

function matchBody(policy: Record<string, unknown>, body: unknown): boolean {
  for (const [k, cond] of Object.entries(policy)) {
    const v = isObj(body) ? body[k] : undefined;
    if (isObj(cond)) {
      if (!matchBody(cond, v)) return false;
      continue;
    }
    const values = v === undefined ? undefined : Array.isArray(v) ? (v as (string | number | boolean | null)[]) : [v as string | number | boolean | null];
    if (!matchValues(cond as unknown[], values)) return false;
  }
  return true;
}

export function matchesFilterPolicy(policy: unknown, scope: Scope, message: { attributes: Record<string, Attr>; body: string }): boolean {
  if (!isObj(policy)) return false;
  if (scope === 'MessageBody') {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return false;
    }
    return matchBody(policy, body);
  }
  for (const [k, cond] of Object.entries(policy)) {
    const a = message.attributes[k];
    if (!matchValues(Array.isArray(cond) ? cond : [], a ? attrValues(a) : undefined)) return false;
  }
  return true;
}
