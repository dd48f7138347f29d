// Fn::Sub's string syntax: literal text, `${Name}`, `${Resource.Attribute}`, and `${!Literal}` for a literal `${Literal}`.
import { M } from './messages.js';

export interface SubVariable {
  /** The variable as written between `${` and `}` (trimmed). */
  name: string;
  /** For `${A.B}`: the resource part… */
  resource: string;
  /** …and the attribute part (everything after the first dot). */
  attribute?: string;
}
export type SubPart = string | SubVariable;

const VARIABLE = /^[A-Za-z0-9_:.]+$/;

/** Splits a Sub string into literal text and variables; throws CloudFormation's error for a malformed variable name. */
export function parseSub(text: string): SubPart[] {
  const parts: SubPart[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('${', i);
    if (open < 0) break;
    const close = text.indexOf('}', open + 2);
    // An unclosed `${` is plain text, as CloudFormation leaves it.
    if (close < 0) break;
    lit += text.slice(i, open);
    const inner = text.slice(open + 2, close);
    if (inner.startsWith('!')) {
      lit += `\${${inner.slice(1)}}`;
    } else {
      const name = inner.trim();
      if (!VARIABLE.test(name)) throw M.subVariableName();
      if (lit) parts.push(lit);
      lit = '';
      const dot = name.indexOf('.');
      parts.push(dot > 0 ? { name, resource: name.slice(0, dot), attribute: name.slice(dot + 1) } : { name, resource: name });
    }
    i = close + 1;
  }
  lit += text.slice(i);
  if (lit) parts.push(lit);
  return parts;
}

/** The variables of a Sub string, or undefined when it is malformed. */
export function subVariables(text: string): SubVariable[] | undefined {
  try {
    return parseSub(text).filter((p): p is SubVariable => typeof p !== 'string');
  } catch {
    return undefined;
  }
}
