// Parses and validates a definition at create time; collects AWS-worded SCHEMA_VALIDATION_FAILED diagnostics.
import { ALL_OPERATORS } from './choice.js';
import { isIntrinsic } from './intrinsics.js';
import { isValidPath } from './paths.js';
import { depthOf } from '../../../server/validate.js';

/** Nesting deeper than this is refused before any recursive walk (Parallel in Parallel 2,000 deep overflowed). */
export const MAX_DEFINITION_DEPTH = 512;

export interface Diagnostic {
  severity: 'ERROR' | 'WARNING';
  code: string;
  message: string;
  location: string;
}

const TYPES = ['Task', 'Wait', 'Pass', 'Succeed', 'Fail', 'Choice', 'Parallel', 'Map'];
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

export interface ValidateOptions {
  type?: 'STANDARD' | 'EXPRESS';
}

/** Returns the parsed definition or the list of problems. */
export function validateDefinition(text: string, o: ValidateOptions = {}): { def?: Obj; diagnostics: Diagnostic[] } {
  let def: unknown;
  try {
    def = JSON.parse(text);
  } catch (e) {
    return { diagnostics: [{ severity: 'ERROR', code: 'INVALID_JSON_DESCRIPTION', message: `Invalid JSON: ${(e as Error).message}`, location: '/' }] };
  }
  const diags: Diagnostic[] = [];
  const err = (message: string, location: string): void => {
    diags.push({ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message, location: location || '/' });
  };
  if (!isObj(def)) {
    err('Top-level definition must be an object', '/');
    return { diagnostics: diags };
  }
  if (depthOf(def, MAX_DEFINITION_DEPTH) > MAX_DEFINITION_DEPTH) {
    err(`The definition is nested more than ${MAX_DEFINITION_DEPTH} levels deep`, '/');
    return { diagnostics: diags };
  }
  const graph = (code: string, message: string, location: string): void => {
    diags.push({ severity: 'ERROR', code, message, location });
  };
  program(def, '', err, o, def['QueryLanguage'] === 'JSONata' ? 'JSONata' : 'JSONPath', graph);
  return { def, diagnostics: diags };
}

export function formatDiagnostics(d: Diagnostic[]): string {
  if (d[0]?.code === 'INVALID_JSON_DESCRIPTION') return `Invalid State Machine Definition: '${d[0].code}: ${d[0].message}'`;
  // AWS prints a diagnostic without a location (a workflow with no terminal state) as `at null`.
  const parts = d.map((x) => `${x.code}: ${x.message} at ${x.location}`);
  return `Invalid State Machine Definition: '${parts.join(', ')}'`;
}

type GraphErr = (code: string, message: string, location: string) => void;

/**
 * The transition graph of one program (the top level, a branch, an item processor): a program with no terminal
 * state is AWS's MISSING_END_STATE, a state nothing transitions to its MISSING_TRANSITION_TARGET.
 */
function checkGraph(states: Obj, startAt: unknown, at: string, graph: GraphErr): void {
  const names = Object.keys(states);
  const terminal = names.some((n) => {
    const s = states[n];
    return isObj(s) && (s['Type'] === 'Succeed' || s['Type'] === 'Fail' || s['End'] === true);
  });
  if (!terminal) graph('MISSING_END_STATE', 'Workflow has no terminal state', at || 'null');
  if (typeof startAt !== 'string' || !names.includes(startAt)) return;
  const seen = new Set<string>([startAt]);
  const queue = [startAt];
  const visit = (t: unknown): void => {
    if (typeof t === 'string' && names.includes(t) && !seen.has(t)) (seen.add(t), queue.push(t));
  };
  while (queue.length) {
    const s = states[queue.shift()!];
    if (!isObj(s)) continue;
    visit(s['Next']);
    visit(s['Default']);
    for (const f of ['Choices', 'Catch']) if (Array.isArray(s[f])) for (const r of s[f] as unknown[]) if (isObj(r)) visit(r['Next']);
  }
  for (const n of names) if (!seen.has(n)) graph('MISSING_TRANSITION_TARGET', `State "${n}" is not reachable.`, `${at}/States/${n}`);
}

function program(p: Obj, at: string, err: (m: string, l: string) => void, o: ValidateOptions, lang: string, graph?: GraphErr): void {
  const missing = ['StartAt', 'States'].filter((k) => p[k] === undefined);
  if (missing.length) {
    err(`These fields are required: [${missing.join(', ')}]`, at || '/');
    return;
  }
  if (!isObj(p['States'])) {
    err('Expected value of type: Object', `${at}/States`);
    return;
  }
  const states = p['States'];
  const names = Object.keys(states);
  if (typeof p['StartAt'] !== 'string' || !names.includes(p['StartAt'])) err(`Missing 'Next' target: ${String(p['StartAt'])}`, `${at}/StartAt`);
  if (p['TimeoutSeconds'] !== undefined && !(Number.isInteger(p['TimeoutSeconds']) && (p['TimeoutSeconds'] as number) > 0)) err('Expected value of type: Integer', `${at}/TimeoutSeconds`);
  for (const name of names) {
    const s = states[name];
    const loc = `${at}/States/${name}`;
    if (name.length > 80) err('State name cannot be longer than 80 characters', loc);
    if (!isObj(s)) {
      err('Expected value of type: Object', loc);
      continue;
    }
    state(name, s, loc, names, err, o, s['QueryLanguage'] === 'JSONata' ? 'JSONata' : s['QueryLanguage'] === 'JSONPath' ? 'JSONPath' : lang, graph);
  }
  if (graph) checkGraph(states, p['StartAt'], at, graph);
}

function state(name: string, s: Obj, loc: string, names: string[], err: (m: string, l: string) => void, o: ValidateOptions, lang: string, graph?: GraphErr): void {
  const type = s['Type'];
  if (type === undefined) return err(`These fields are required: [Type]`, loc);
  if (typeof type !== 'string' || !TYPES.includes(type)) return err(`The field 'Type' should have one of these values: [${TYPES.join(', ')}]`, `${loc}/Type`);
  const terminal = type === 'Choice' || type === 'Succeed' || type === 'Fail';
  if (!terminal) {
    if (s['Next'] === undefined && s['End'] !== true) err(`This state must have exactly one of 'Next' or 'End'`, loc);
    if (s['Next'] !== undefined && s['End'] !== undefined) err(`This state must have exactly one of 'Next' or 'End'`, loc);
  } else {
    for (const f of ['Next', 'End']) if (s[f] !== undefined) err(`Field '${f}' is not supported`, `${loc}/${f}`);
  }
  if (typeof s['Next'] === 'string' && !names.includes(s['Next'])) err(`Missing 'Next' target: ${s['Next']}`, `${loc}/Next`);
  if (lang === 'JSONPath') {
    for (const f of ['InputPath', 'OutputPath', 'ResultPath', 'ItemsPath']) {
      const v = s[f];
      if (typeof v === 'string' && !isValidPath(v)) err(`The value for the field '${f}' must be a valid JSONPath`, `${loc}/${f}`);
    }
    for (const f of ['Parameters', 'ResultSelector', 'ItemSelector']) if (s[f] !== undefined) template(s[f], `${loc}/${f}`, err);
  }
  const checkRetryCatch = (f: 'Retry' | 'Catch'): void => {
    const list = s[f];
    if (list === undefined) return;
    if (!Array.isArray(list)) return err('Expected value of type: Array', `${loc}/${f}`);
    list.forEach((r: unknown, i) => {
      const rl = `${loc}/${f}[${i}]`;
      if (!isObj(r)) return err('Expected value of type: Object', rl);
      const eq = r['ErrorEquals'];
      if (!Array.isArray(eq) || eq.length === 0) return err(Array.isArray(eq) ? 'Value cannot be empty' : `These fields are required: [ErrorEquals]`, `${rl}${Array.isArray(eq) ? '/ErrorEquals' : ''}`);
      const allAt = eq.indexOf('States.ALL');
      if (allAt >= 0 && eq.length > 1) err(`States.ALL must appear alone in ErrorEquals`, `${rl}/ErrorEquals`);
      if (f === 'Catch') {
        if (typeof r['Next'] !== 'string') err(`These fields are required: [Next]`, rl);
        else if (!names.includes(r['Next'])) err(`Missing 'Next' target: ${r['Next']}`, `${rl}/Next`);
      } else {
        if (r['MaxAttempts'] !== undefined && !(Number.isInteger(r['MaxAttempts']) && (r['MaxAttempts'] as number) >= 0)) err('Expected value of type: Integer', `${rl}/MaxAttempts`);
        if (r['BackoffRate'] !== undefined && !(typeof r['BackoffRate'] === 'number' && r['BackoffRate'] >= 1)) err('Value is less than the minimum 1.0', `${rl}/BackoffRate`);
        if (r['IntervalSeconds'] !== undefined && !(Number.isInteger(r['IntervalSeconds']) && (r['IntervalSeconds'] as number) >= 1)) err('Value is less than the minimum 1', `${rl}/IntervalSeconds`);
      }
    });
    list.forEach((r, i) => {
      if (isObj(r) && Array.isArray(r['ErrorEquals']) && r['ErrorEquals'].includes('States.ALL') && i !== list.length - 1) err(`States.ALL must appear in the last ${f === 'Retry' ? 'retrier' : 'catcher'}`, `${loc}/${f}[${i}]/ErrorEquals`);
    });
  };
  switch (type) {
    case 'Task': {
      if (typeof s['Resource'] !== 'string') err(`These fields are required: [Resource]`, loc);
      else if (o.type === 'EXPRESS') {
        const r = s['Resource'];
        if (r.endsWith('.waitForTaskToken')) err(`Express state machine does not support '.waitForTaskToken' service integration `, `${loc}/Resource`);
        else if (/\.sync(:2)?$/.test(r)) err(`Express state machine does not support '.sync' service integration`, `${loc}/Resource`);
        else if (/^arn:[^:]+:states:[^:]*:[^:]*:activity:/.test(r)) err(`Express state machine does not support Activity ARN`, `${loc}/Resource`);
      }
      if (s['Credentials'] !== undefined) {
        const c = s['Credentials'];
        if (!isObj(c) || (c['RoleArn'] === undefined && c['RoleArn.$'] === undefined)) err(`The field 'RoleArn' is required but was missing`, `${loc}/Credentials`);
      }
      checkRetryCatch('Retry');
      checkRetryCatch('Catch');
      break;
    }
    case 'Choice': {
      const ch = s['Choices'];
      if (!Array.isArray(ch)) err(`These fields are required: [Choices]`, loc);
      else if (ch.length === 0) err('Value cannot be empty', `${loc}/Choices`);
      else
        ch.forEach((r: unknown, i) => {
          const rl = `${loc}/Choices[${i}]`;
          if (!isObj(r)) return err('Expected value of type: Object', rl);
          if (typeof r['Next'] !== 'string') err(`These fields are required: [Next]`, rl);
          else if (!names.includes(r['Next'])) err(`Missing 'Next' target: ${r['Next']}`, `${rl}/Next`);
          if (lang === 'JSONPath') rule(r, rl, err, true);
          else if (r['Condition'] === undefined) err(`These fields are required: [Condition]`, rl);
        });
      if (typeof s['Default'] === 'string' && !names.includes(s['Default'])) err(`Missing 'Next' target: ${s['Default']}`, `${loc}/Default`);
      break;
    }
    case 'Wait': {
      const n = ['Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'].filter((f) => s[f] !== undefined).length;
      if (n !== 1) err(`A Wait state must have exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath'`, loc);
      if (lang === 'JSONPath' && s['Seconds'] !== undefined && !(Number.isInteger(s['Seconds']) && (s['Seconds'] as number) >= 0)) err('Expected value of type: Integer', `${loc}/Seconds`);
      break;
    }
    case 'Fail':
      if (s['Error'] !== undefined && s['ErrorPath'] !== undefined) err(`Fields 'Error' and 'ErrorPath' are mutually exclusive`, loc);
      if (s['Cause'] !== undefined && s['CausePath'] !== undefined) err(`Fields 'Cause' and 'CausePath' are mutually exclusive`, loc);
      break;
    case 'Parallel': {
      const b = s['Branches'];
      if (!Array.isArray(b)) err(`These fields are required: [Branches]`, loc);
      else if (b.length === 0) err('Value cannot be empty', `${loc}/Branches`);
      else b.forEach((br: unknown, i) => (isObj(br) ? program(br, `${loc}/Branches[${i}]`, err, o, lang, graph) : err('Expected value of type: Object', `${loc}/Branches[${i}]`)));
      checkRetryCatch('Retry');
      checkRetryCatch('Catch');
      break;
    }
    case 'Map': {
      const proc = s['ItemProcessor'] ?? s['Iterator'];
      if (!isObj(proc)) err(`These fields are required: [ItemProcessor]`, loc);
      else program(proc, `${loc}/${s['ItemProcessor'] ? 'ItemProcessor' : 'Iterator'}`, err, o, lang, graph);
      checkRetryCatch('Retry');
      checkRetryCatch('Catch');
      break;
    }
  }
}

function template(v: unknown, loc: string, err: (m: string, l: string) => void): void {
  if (Array.isArray(v)) return v.forEach((x, i) => template(x, `${loc}[${i}]`, err));
  if (!isObj(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (k.endsWith('.$')) {
      if (typeof x !== 'string' || !(isIntrinsic(x) || isValidPath(x))) err(`The value for the field '${k}' must be a valid JSONPath or a valid intrinsic function call`, `${loc}/${k}`);
    } else template(x, `${loc}/${k}`, err);
  }
}

function rule(r: Obj, loc: string, err: (m: string, l: string) => void, top: boolean): void {
  if (!top && r['Next'] !== undefined) err(`Field 'Next' is not supported`, `${loc}/Next`);
  if (Array.isArray(r['And']) || Array.isArray(r['Or'])) {
    const list = (r['And'] ?? r['Or']) as unknown[];
    if (list.length === 0) err('Value cannot be empty', loc);
    list.forEach((x, i) => (isObj(x) ? rule(x, `${loc}/${r['And'] ? 'And' : 'Or'}[${i}]`, err, false) : err('Expected value of type: Object', loc)));
    return;
  }
  if (r['Not'] !== undefined) {
    if (isObj(r['Not'])) rule(r['Not'], `${loc}/Not`, err, false);
    else err('Expected value of type: Object', `${loc}/Not`);
    return;
  }
  if (r['Condition'] !== undefined) return;
  const ops = Object.keys(r).filter((k) => ALL_OPERATORS.has(k));
  if (typeof r['Variable'] !== 'string') err(`These fields are required: [Variable]`, loc);
  else if (!isValidPath(r['Variable'])) err(`The value for the field 'Variable' must be a valid JSONPath`, `${loc}/Variable`);
  if (ops.length !== 1) err('A choice rule must have exactly one comparison operator', loc);
}
