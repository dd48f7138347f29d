// Matching in policies: wildcards in actions and ARNs, policy variables (`${aws:username}`, `${*}`, defaults), the request context.
//
// Sources: "IAM JSON policy elements: Action" (actions are case-insensitive, `*` and `?` wildcards);
// "IAM JSON policy elements: Resource" (reference_policies_elements_resource.html): `*` and `?` within any ARN segment,
// case-sensitive, and "if the * wildcard is the last character of a resource ARN segment, it can expand to match
// beyond the colon boundaries"; "IAM policy elements: Variables and tags" (reference_policies_variables.html):
// `${key}`, the special `${*}`, `${?}`, `${$}`, defaults `${aws:username, 'anonymous'}`, variables only with
// Version 2012-10-17, and a variable whose key is absent making the element not match.

/** The request context with keys folded to lower case (condition keys are case-insensitive), every value a list. */
export type Context = ReadonlyMap<string, readonly string[]>;

export function normaliseContext(ctx: Readonly<Record<string, string | readonly string[]>>): Context {
  const out = new Map<string, readonly string[]>();
  for (const [k, v] of Object.entries(ctx)) out.set(k.toLowerCase(), typeof v === 'string' ? [v] : v);
  return out;
}

/** A pattern after variable substitution: literal text and the wildcards the policy itself wrote. */
export type Token = { lit: string } | { wild: '*' | '?' };

const VAR = /\$\{([^}]*)\}/g;

/**
 * Substitute variables in `text` (when `variables`, i.e. Version 2012-10-17) and split into tokens; a substituted
 * value is literal, so a user name holding `*` is no wildcard. Undefined when a variable's key is absent and has no default.
 */
export function tokens(text: string, ctx: Context, variables: boolean): Token[] | undefined {
  const out: Token[] = [];
  const pushText = (s: string): void => {
    let lit = '';
    for (const ch of s) {
      if (ch === '*' || ch === '?') {
        if (lit) out.push({ lit });
        lit = '';
        out.push({ wild: ch });
      } else lit += ch;
    }
    if (lit) out.push({ lit });
  };
  if (!variables || !text.includes('${')) {
    pushText(text);
    return out;
  }
  let last = 0;
  for (const m of text.matchAll(VAR)) {
    pushText(text.slice(last, m.index));
    last = m.index + m[0].length;
    const value = resolveVariable(m[1] ?? '', ctx);
    if (value === undefined) return undefined;
    out.push({ lit: value });
  }
  pushText(text.slice(last));
  return out;
}

/** Substitute variables for a comparison that has no wildcards (StringEquals, Numeric, …): the plain text. */
export function substitute(text: string, ctx: Context, variables: boolean): string | undefined {
  const t = tokens(text, ctx, variables);
  if (t === undefined) return undefined;
  return t.map((x) => ('lit' in x ? x.lit : x.wild)).join('');
}

function resolveVariable(inner: string, ctx: Context): string | undefined {
  const body = inner.trim();
  if (body === '*' || body === '?' || body === '$') return body;
  // `${aws:username, 'default'}`: the default applies when the key is absent.
  const m = /^([^,]+?)\s*,\s*'([^']*)'$/.exec(body);
  const key = (m ? m[1]! : body).trim().toLowerCase();
  const values = ctx.get(key);
  // A multi-valued key cannot stand in a variable; AWS treats it as unresolved.
  if (values !== undefined && values.length === 1) return values[0];
  return m ? m[2] : undefined;
}

const cache = new Map<string, RegExp>();

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A glob: `*` any run, `?` one character; `ci` for case-insensitive (actions, StringEqualsIgnoreCase is not a glob). */
export function globRegex(t: readonly Token[], ci: boolean): RegExp {
  const src = '^' + t.map((x) => ('lit' in x ? escape(x.lit) : x.wild === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('') + '$';
  const key = (ci ? 'i' : 's') + src;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(src, ci ? 'i' : '');
    if (cache.size > 4096) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/**
 * An ARN pattern: wildcards stay within a colon-separated segment, except a `*` that ends a segment (followed by a
 * colon or the end), which may run past colons, as the Resource element page documents.
 */
export function arnRegex(t: readonly Token[]): RegExp {
  let src = '^';
  for (let i = 0; i < t.length; i++) {
    const x = t[i]!;
    if ('lit' in x) src += escape(x.lit);
    else if (x.wild === '?') src += '[^:]';
    else {
      const next = t[i + 1];
      const endsSegment = next === undefined || ('lit' in next && next.lit.startsWith(':'));
      src += endsSegment ? '[\\s\\S]*' : '[^:]*';
    }
  }
  src += '$';
  const key = 'a' + src;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(src);
    if (cache.size > 4096) cache.clear();
    cache.set(key, re);
  }
  return re;
}

/** Does an Action pattern (no variables) match the request's action, case-insensitively? */
export function actionMatches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  return globRegex(tokens(pattern, EMPTY, false)!, true).test(action);
}

/** Does a Resource pattern match the request's resource ARN (case-sensitive, variables substituted)? */
export function resourceMatches(pattern: string, resource: string, ctx: Context, variables: boolean): boolean {
  if (pattern === '*') return true;
  const t = tokens(pattern, ctx, variables);
  if (t === undefined) return false;
  return arnRegex(t).test(resource);
}

const EMPTY: Context = new Map();
