// Static checks of intrinsic function arguments, as ValidateTemplate makes them: shapes, and what is literal.
//
// Evaluation needs parameter values and resource ids that validation does not have; these checks look only at
// what the template itself fixes, in the same words the evaluator uses when it meets the problem later.
import { cidr } from './cidr.js';
import { ErrorList } from './errors.js';
import { FUNCTIONS, functionOf, getAttTarget } from './intrinsics.js';
import { M } from './messages.js';
import { isObj, type Json, type Template } from './model.js';
import { parseSub } from './sub.js';

const BOOLEAN = new Set(['Fn::Equals', 'Fn::And', 'Fn::Or', 'Fn::Not', 'Condition']);
const isName = (v: Json | undefined): boolean => (typeof v === 'string' && v !== '') || isObj(v);
const intLike = (v: Json | undefined): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
const literal = (v: Json | undefined): boolean => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every(literal));

/** Checks every function call in `node` (recursively), recording problems. */
export function checkFunctions(node: Json | undefined, t: Template, errors: ErrorList, inConditions = false): void {
  if (node === undefined || node === null || typeof node !== 'object') return;
  const f = functionOf(node, inConditions);
  if (f === undefined) {
    if (Array.isArray(node)) for (const x of node) checkFunctions(x, t, errors, inConditions);
    else for (const x of Object.values(node)) checkFunctions(x, t, errors, inConditions);
    return;
  }
  const arg = (node as Record<string, Json>)[f]!;
  const a = Array.isArray(arg) ? arg : undefined;
  errors.capture(() => checkOne(f, arg, a, t));
  // Boolean operands stay in condition context: `{Condition: X}` is a function there.
  const operands = f === 'Fn::And' || f === 'Fn::Or' || f === 'Fn::Not';
  checkFunctions(arg, t, errors, operands);
}

function checkOne(f: string, arg: Json, a: Json[] | undefined, t: Template): void {
  switch (f) {
    case 'Ref':
      if (!isName(arg)) throw M.refNotString();
      return;
    case 'Condition':
      if (typeof arg !== 'string') throw M.conditionNotString();
      return;
    case 'Fn::GetAtt': {
      const g = getAttTarget(arg);
      if (!g || !isName(g.resource) || !isName(g.attribute)) throw M.getAttArgs();
      return;
    }
    case 'Fn::Sub': {
      const text = typeof arg === 'string' ? arg : a && a.length === 2 && typeof a[0] === 'string' && isObj(a[1]) ? a[0] : undefined;
      if (text === undefined) throw M.subArgs();
      parseSub(text);
      return;
    }
    case 'Fn::Join':
      if (!a || a.length !== 2 || !(typeof a[0] === 'string' || isObj(a[0])) || !(Array.isArray(a[1]) || isObj(a[1]))) throw M.joinArgs();
      return;
    case 'Fn::Select': {
      if (!a || a.length !== 2) throw M.selectArgs();
      const i = intLike(a[0]);
      if (literal(a[0]) && i === undefined) throw M.selectArgs();
      if (!(Array.isArray(a[1]) || isObj(a[1]))) throw M.selectArgs();
      // Only a literal list without functions has a length known before evaluation.
      if (i !== undefined && Array.isArray(a[1]) && a[1].every((x) => functionOf(x) === undefined) && i >= a[1].length) throw M.selectIndex(i);
      return;
    }
    case 'Fn::Split':
      if (!a || a.length !== 2 || !(typeof a[0] === 'string' || isObj(a[0]))) throw M.splitArgs();
      return;
    case 'Fn::FindInMap': {
      if (!a || (a.length !== 3 && a.length !== 4)) throw M.findInMapArgs();
      if (a.length === 4 && !(isObj(a[3]) && 'DefaultValue' in a[3])) throw M.findInMapArgs();
      const [m, k1, k2] = a;
      if (typeof m === 'string' && a.length === 3) {
        const map = t.mappings.get(m);
        if (!map) throw M.mappingNotFound(m);
        if (typeof k1 === 'string' && typeof k2 === 'string' && map.get(k1)?.get(k2) === undefined) throw M.mappingValueNotFound(m, k1, k2);
      }
      return;
    }
    case 'Fn::If':
      if (!a || a.length < 1 || typeof a[0] !== 'string') throw M.ifCondition();
      if (a.length !== 3) throw M.ifArgs();
      return;
    case 'Fn::Equals':
      if (!a || a.length !== 2) throw M.equalsArgs();
      return;
    case 'Fn::And':
    case 'Fn::Or':
      if (!a || a.length < 2 || a.length > 10 || !a.every((x) => BOOLEAN.has(functionOf(x, true) ?? ''))) throw M.andOrArgs(f);
      return;
    case 'Fn::Not':
      if (!a || a.length !== 1) throw M.notArgs();
      return;
    case 'Fn::Base64':
      if (Array.isArray(arg)) throw M.base64Args();
      return;
    case 'Fn::GetAZs':
      if (Array.isArray(arg) || typeof arg === 'number' || typeof arg === 'boolean') throw M.getAZsArgs();
      return;
    case 'Fn::ImportValue':
      if (Array.isArray(arg)) throw M.importValueArgs();
      return;
    case 'Fn::Cidr':
      if (!a || a.length !== 3) throw M.cidrArgs();
      if (a.every((x) => typeof x !== 'object')) cidr(a[0], a[1], a[2]);
      return;
    case 'Fn::Length':
      if (!(Array.isArray(arg) || isObj(arg))) throw M.lengthArgs();
      return;
    default:
      if (!FUNCTIONS.has(f)) throw M.unsupportedFunction(f);
  }
}
