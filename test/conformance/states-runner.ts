// Conformance runner: replays recorded AWS Step Functions cases from the corpus through our interpreter and diffs histories.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FakeClock } from '../../src/lib/clock.js';
import { AwsError } from '../../src/lib/errors.js';
import type { LambdaInvoker } from '../../src/services/lambda/invoker.js';
import type { QueueBroker } from '../../src/services/sqs/broker.js';
import type { Json } from '../../src/services/states/asl/paths.js';
import { validateDefinition, formatDiagnostics } from '../../src/services/states/asl/validate.js';
import { Execution } from '../../src/services/states/run/executor.js';
import { ActivityQueues, TokenRegistry } from '../../src/services/states/run/tasks.js';
import { TimerWheel } from '../../src/services/states/run/timers.js';

export const ROOT = join(new URL('.', import.meta.url).pathname, '..', '..', '..');
export const CORPUS = join(ROOT, '..', 'shared', 'corpus', 'stepfunctions');

interface ManifestCase {
  key: string;
  snapshot: string;
  skip?: string;
  services?: string[];
  templates?: string[];
  handlers?: string[];
  activity?: boolean;
  callback?: boolean;
  /** Edits the test makes to the template in code before creating the state machine. */
  patches?: { path: string[]; value: Json }[];
  /** Placeholders the test replaces in the template's text (e.g. %CONTEXT_OBJECT_LITERAL_PLACEHOLDER% → `$$`). */
  fills?: Record<string, string>;
}

export interface CaseResult {
  key: string;
  area: string;
  outcome: 'pass' | 'fail' | 'excluded';
  reason?: string;
}

/** JSON5 as the corpus uses it: comments, trailing commas, single-quoted strings, unquoted keys. */
export function parseJson5(src: string): unknown {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '"' || c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          s += src[j]! + src[j + 1]!;
          j += 2;
          continue;
        }
        s += c === "'" && src[j] === '"' ? '\\"' : src[j];
        j++;
      }
      out += `"${c === "'" ? s.replace(/\\'/g, "'") : s}"`;
      i = j;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && src[i + 1] === '*') {
      i = src.indexOf('*/', i + 2) + 1;
    } else out += c;
  }
  out = out.replace(/,(\s*[}\]])/g, '$1').replace(/([{,]\s*)([A-Za-z_$][\w$]*)(\s*:)/g, '$1"$2"$3');
  return JSON.parse(out);
}

type Obj = Record<string, Json>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

function resources(def: Json, out: string[] = []): string[] {
  if (Array.isArray(def)) def.forEach((x) => resources(x, out));
  else if (isObj(def)) {
    if (typeof def['Resource'] === 'string' && def['Type'] === 'Task') out.push(def['Resource']);
    for (const v of Object.values(def)) resources(v, out);
  }
  return out;
}

function stateNames(def: Json, out = new Set<string>()): Set<string> {
  if (Array.isArray(def)) def.forEach((x) => stateNames(x, out));
  else if (isObj(def)) {
    if (isObj(def['States'])) for (const k of Object.keys(def['States'])) out.add(k);
    for (const v of Object.values(def)) stateNames(v, out);
  }
  return out;
}

const placeholderRe = (s: string): RegExp => new RegExp(`^${s.split(/<[^<>]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');

/** Compares a recorded value with ours: placeholders are wildcards, JSON strings compare parsed, HTTP metadata is volatile. */
/** Values the corpus's recorder replaced by fixed words because they change every run. */
const VOLATILE = new Set(['RandomNumberGenerated', 'generated-uuid', 'start-time', 'entered-time', 'date', 'timestamp', 'RequestId']);
/** Step Functions added `Execution.RedriveCount` to the context object with redrive (November 2023); older recordings lack it. */
const REDRIVE_LAUNCH = Date.UTC(2023, 10, 15);
let ignoreRedriveCount = false;

function diff(exp: unknown, act: unknown, path: string): string | undefined {
  if (typeof exp === 'string' && VOLATILE.has(exp) && act !== undefined) return undefined;
  // Values the recorder masked with their own field path (e.g. "stateExitedEventDetails.output").
  if (typeof exp === 'string' && /^[a-z]\w*EventDetails\.\w+$/.test(exp) && act !== undefined) return undefined;
  if (typeof exp === 'string' && exp.includes('lambda_function_name')) exp = exp.replace(/(?<![<\w])lambda_function_name/g, '<lambda_function_name>');
  if (typeof exp === 'string') {
    if (typeof act !== 'string') return `${path}: expected ${JSON.stringify(exp)} got ${JSON.stringify(act)}`;
    if (exp === act || (exp.includes('<') && placeholderRe(exp).test(act))) return undefined;
    const pe = tryParse(exp);
    const pa = tryParse(act);
    if (typeof pe === 'string' && VOLATILE.has(pe) && typeof pa === 'string') return undefined;
    if (isObj(pe) && isObj(pa) && typeof pe['errorType'] === 'string') return pe['errorType'] === pa['errorType'] && pe['errorMessage'] === pa['errorMessage'] ? undefined : `${path}: error ${exp} vs ${act}`;
    if (pe !== undefined && pa !== undefined && (typeof pe === 'object' || typeof pa === 'object')) return diff(pe, pa, path);
    return `${path}: expected ${JSON.stringify(exp).slice(0, 300)} got ${JSON.stringify(act).slice(0, 300)}`;
  }
  if (typeof act === 'string' && exp !== null && typeof exp === 'object') {
    const pa = tryParse(act);
    // A Lambda error's stack trace and request id differ by runtime; the error type and message must match.
    if (isObj(exp) && typeof exp['errorType'] === 'string' && isObj(pa)) return exp['errorType'] === pa['errorType'] && exp['errorMessage'] === pa['errorMessage'] ? undefined : `${path}: error ${JSON.stringify(exp)} vs ${act}`;
    if (pa === undefined) return `${path}: expected ${JSON.stringify(exp).slice(0, 200)} got string ${act.slice(0, 200)}`;
    return diff(exp, pa, path);
  }
  // The corpus stores JSON-string values parsed ("0" recorded as 0).
  if (typeof act === 'string' && (exp === null || typeof exp !== 'object')) {
    const pa = tryParse(act);
    if (pa === exp) return undefined;
  }
  if (Array.isArray(exp)) {
    if (!Array.isArray(act) || act.length !== exp.length) return `${path}: expected array(${exp.length}) got ${JSON.stringify(act).slice(0, 200)}`;
    for (let i = 0; i < exp.length; i++) {
      const d = diff(exp[i], act[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObj(exp)) {
    if (!isObj(act)) return `${path}: expected object got ${JSON.stringify(act).slice(0, 200)}`;
    const keys = new Set([...Object.keys(exp), ...Object.keys(act)]);
    for (const k of keys) {
      if (k === 'SdkHttpMetadata' || k === 'SdkResponseMetadata' || k === 'timestamp') continue;
      if (k === 'RedriveCount' && ignoreRedriveCount && !(k in exp)) continue;
      if (!(k in exp)) return `${path}.${k}: unexpected ${JSON.stringify(act[k]).slice(0, 200)}`;
      if (!(k in act)) return `${path}.${k}: missing (expected ${JSON.stringify(exp[k]).slice(0, 200)})`;
      const d = diff(exp[k], act[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return exp === act ? undefined : `${path}: expected ${JSON.stringify(exp)} got ${JSON.stringify(act)}`;
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function histories(entry: unknown): { events: Obj[] }[] {
  const rc = isObj(entry) ? (entry['recorded-content'] as Obj) : undefined;
  if (!rc) return [];
  return Object.entries(rc)
    .filter(([k, v]) => isObj(v) && Array.isArray(v['events']) && /hist/.test(k))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, v]) => v as unknown as { events: Obj[] });
}

async function fixtureInvoker(handlers: string[], clock: FakeClock, wheel: TimerWheel): Promise<LambdaInvoker> {
  const name = handlers.find((h) => h !== 'id') ?? handlers[0] ?? 'id';
  const mod = (await import(pathToFileURL(join(ROOT, 'test', 'fixtures', 'states', 'lambda', `${name}.mjs`)).href)) as { handler: (e: unknown) => Promise<unknown> };
  return {
    resolve: () => {
      throw new Error('unused');
    },
    resolveFresh: () => Promise.reject(new Error('unused')),
    async invoke(i) {
      // The registry's wording for a missing function (the unqualified ARN).
      if (/doesnotexist|nonexist|unknown|no_such/i.test(i.functionName)) throw new AwsError('ResourceNotFoundException', `Function not found: arn:aws:lambda:${i.region}:111111111111:function:${i.functionName.split(':function:').pop()!.split(':')[0]}`);
      const event = JSON.parse(i.payload.toString()) as unknown;
      if (name === 'wait_60') {
        await new Promise<void>((r) => wheel.at(clock.now() + 60_000, r));
        return { payload: Buffer.from(JSON.stringify(event)), executedVersion: '$LATEST', streamed: false, coldStart: false };
      }
      try {
        const r = await mod.handler(event);
        const payload = Buffer.isBuffer(r) ? r : Buffer.from(JSON.stringify(r));
        // As the engine does for LogType Tail: base64 of the invocation's log tail.
        const logResult = i.tail ? Buffer.from(`START RequestId: ${i.requestId} Version: $LATEST\nEND RequestId: ${i.requestId}\n`).toString('base64') : undefined;
        return { payload, logResult, executedVersion: '$LATEST', streamed: false, coldStart: false };
      } catch (e) {
        const err = e as Error;
        return { payload: Buffer.from(JSON.stringify({ errorMessage: err.message, errorType: err.name, requestId: i.requestId, stackTrace: [] })), functionError: 'Unhandled', executedVersion: '$LATEST', streamed: false, coldStart: false };
      }
    },
  };
}

/**
 * The recorder's order-independence transform for Parallel branches (LocalStack's SfnNoneRecursiveParallelTransformer),
 * re-implemented so that our history goes through the same lossy rewrite as the recorded one: the events between a
 * ParallelStateStarted and the next Parallel end event get id [0]/previousEventId 0 and are sorted by their JSON text
 * (keys sorted),
 * replacing the span up to (and including the ends it overwrites, as the original's list slicing does).
 */
/** JSON text with object keys sorted (the recorder's sort key). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function normaliseParallel(events: Obj[]): Obj[] {
  const ev = [...events];
  let start = 0;
  let sub: Obj[] = [];
  let inSub = false;
  const ends = new Set(['ParallelStateSucceeded', 'ParallelStateAborted', 'ParallelStateExited', 'ParallelStateFailed']);
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i]!;
    const t = e['type'] as string;
    if (ends.has(t)) {
      const key = new Map(sub.map((x) => [x, canonical(x)]));
      const sorted = [...sub].sort((a, b) => (key.get(a)! < key.get(b)! ? -1 : key.get(a)! > key.get(b)! ? 1 : 0));
      ev.splice(start, i - start, ...sorted);
      i = i - (i - start) + sorted.length;
      inSub = false;
    } else if (t === 'ParallelStateStarted') {
      inSub = true;
      sub = [];
      start = i + 1;
    } else if (inSub) {
      e['id'] = [0];
      e['previousEventId'] = 0;
      sub.push(e);
    }
  }
  return ev;
}

/** A stand-in for the SQS service: every queue URL but a `no_such` one exists; SendMessage answers as SQS does. */
function fixtureQueues(): QueueBroker {
  const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
  return {
    queue: () => undefined,
    queueByUrl: (url) => (/no_such/.test(url) ? undefined : { arn: 'arn:aws:sqs:us-east-1:111111111111:q', url, fifo: false, visibilityTimeoutSeconds: 30 }),
    send: async (_arn, m) => {
      if (m.body === '') throw new AwsError('MissingParameter', 'The request must contain the parameter MessageBody.');
      return { messageId: randomUUID(), md5OfBody: md5(m.body), ...(m.messageAttributes ? { md5OfMessageAttributes: md5(JSON.stringify(m.messageAttributes)) } : {}) };
    },
    receive: async () => [],
    deleteMessages: async () => undefined,
    changeVisibility: async () => undefined,
    onAvailable: () => () => undefined,
  };
}

function pickTemplate(c: ManifestCase, events: Obj[]): string | undefined {
  const list = c.templates ?? [];
  if (list.length <= 1) return list[0];
  const entered = events.filter((e) => String(e['type']).endsWith('StateEntered')).map((e) => (e['stateEnteredEventDetails'] as Obj)['name'] as string);
  const fits = list.filter((t) => {
    const p = join(CORPUS, 'templates', t);
    if (!existsSync(p)) return false;
    const def = parseJson5(readFileSync(p, 'utf8')) as Obj;
    const names = stateNames(def);
    return entered.length > 0 && def['StartAt'] === entered[0] && entered.every((n) => names.has(n));
  });
  if (fits.length === 1) return fits[0];
  // The case's parameter id usually names the template constant (…[BASE_REFERENCE_IN_WAIT] or [ST.X] → base_reference_in_wait.json5, x.json5).
  const param = /\[(?:\w+\.)?([A-Z0-9_]+)\]$/.exec(c.key)?.[1]?.toLowerCase();
  const named = fits.filter((t) => param !== undefined && t.replace(/^.*\//, '').replace(/\.json5$/, '') === param);
  return named.length === 1 ? named[0] : undefined;
}

/** Runs one execution on a virtual clock (1 s per tick, at most 20000 ticks); undefined when it does not finish. */
async function execute(definition: Obj, input: Json, inputText: string | undefined, handlers: string[], startAt = Date.UTC(2024, 2, 6, 10, 0, 0), roleArn = 'snf_role_arn'): Promise<Execution | undefined> {
  const clock = new FakeClock(startAt);
  const wheel = new TimerWheel(clock);
  const ex = new Execution(
    {
      arn: 'arn:aws:states:us-east-1:111111111111:execution:sm:exec', name: 'exec', smArn: 'arn:aws:states:us-east-1:111111111111:stateMachine:sm', smName: 'sm',
      roleArn, input, inputText, startTime: clock.now(), type: 'STANDARD', definition,
    },
    { clock, wheel, lambda: await fixtureInvoker(handlers, clock, wheel), queues: fixtureQueues(), region: 'us-east-1', accountId: '111111111111', tokens: new TokenRegistry(), activities: new ActivityQueues() },
    { sleep: (at, signal) => new Promise<void>((r, j) => { const cancel = wheel.at(at, r); signal.addEventListener('abort', () => { cancel(); j(new Error('aborted')); }); }) },
  );
  ex.start();
  let done = false;
  const p = ex.run().then(() => (done = true));
  for (let i = 0; i < 20000 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(1000);
  }
  if (!done) {
    ex.stop();
    return undefined;
  }
  await p;
  return ex;
}

/**
 * choice_operators cases record only (input, output) pairs: the test fills the template's comparison placeholder with
 * the operator its name spells (test_numeric_greater_than_equals → NumericGreaterThanEquals) and the input's Value, as a
 * literal, or as `<Operator>Path: "$.Value"` for the _path variants. Rebuilt here, each pair is one execution.
 */
async function runChoiceCase(c: ManifestCase, entry: Obj, res: (o: CaseResult['outcome'], r?: string) => CaseResult): Promise<CaseResult> {
  const fn = /::(test_\w+)$/.exec(c.key)?.[1] ?? '';
  const path = fn.endsWith('_path');
  const words = fn.replace(/^test_/, '').replace(/_path$/, '').split('_');
  const op = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const cases = (entry['recorded-content'] as Obj)['cases'] as Obj[];
  // A timestamp the corpus normalised to "date" is still a string, which is all the Is*/Boolean* operators look at;
  // only the Timestamp* operators read its value, so only they cannot be replayed.
  if (op.startsWith('Timestamp') && cases.some((k) => /"(date|<[^"]*>)"/.test(JSON.stringify(k['input']))))
    return res('excluded', 'the recorded inputs hold timestamps the corpus normalised to "date", so they cannot be replayed');
  const template = JSON.stringify(parseJson5(readFileSync(join(CORPUS, 'templates', 'choiceoperators', 'statemachines', 'template.json5'), 'utf8')));
  for (const [i, k] of cases.entries()) {
    const input = k['input'] as Obj;
    const rule = path ? `"${op}Path":"$.Value"` : `"${op}":${JSON.stringify(input['Value'] ?? null)}`;
    const def = template.replace('"%ComparisonOperatorType%":"$.Value"', rule);
    const v = validateDefinition(def);
    if (v.diagnostics.length) return res('fail', `case ${i} (${JSON.stringify(input)}): our validator rejects ${rule}: ${formatDiagnostics(v.diagnostics)}`);
    const ex = await execute(JSON.parse(def) as Obj, input, undefined, []);
    if (!ex || ex.status !== 'SUCCEEDED') return res('fail', `case ${i} (${JSON.stringify(input)}): execution ${ex?.status ?? 'did not finish'} ${ex?.error ?? ''} ${ex?.cause ?? ''}`);
    const d = diff(k['output'], ex.output, `case ${i} (${JSON.stringify(input)}) output`);
    if (d) return res('fail', d);
  }
  return res('pass');
}

const OK_RESOURCE = /^(arn:aws:states:::lambda:invoke(\.waitForTaskToken)?|arn:aws:states:::sqs:sendMessage(\.waitForTaskToken)?|arn:aws:lambda:.*|__tbd__|_tbd_|arn:aws:states:::states:startExecution.*)$/;

export async function runCase(c: ManifestCase, snapshots: Map<string, Record<string, unknown>>): Promise<CaseResult> {
  const area = c.snapshot.replace(/^v2\//, '').replace(/\/?[^/]+\.snapshot\.json$/, '') || c.snapshot.replace(/^v2\/|\.snapshot\.json$/g, '');
  const res = (outcome: CaseResult['outcome'], reason?: string): CaseResult => ({ key: c.key, area, outcome, reason });
  if (c.skip) return res('excluded', `unmapped: ${c.skip}`);
  // SQS alone is served by an in-memory stand-in queue (the server's own SQS is covered by the compat tests).
  const sqsOnly = c.services?.length === 1 && c.services[0] === 'sqs' && !c.callback;
  if (c.services?.length && !sqsOnly) return res('excluded', `needs AWS ${c.services.join(', ')}${sqsOnly === false && c.services.includes('sqs') && c.callback ? ' (and a consumer that answers task tokens)' : ''}`);
  let snap = snapshots.get(c.snapshot);
  if (!snap) snapshots.set(c.snapshot, (snap = JSON.parse(readFileSync(join(CORPUS, c.snapshot), 'utf8')) as Record<string, unknown>));
  const entry = snap[c.key] as Obj | undefined;
  if (c.snapshot.includes('choice_operators/') && isObj(entry?.['recorded-content']) && Array.isArray((entry!['recorded-content'] as Obj)['cases'])) return runChoiceCase(c, entry!, res);
  const hs = histories(snap[c.key]);
  if (hs.length === 0) return res('excluded', 'API-level case: no execution history recorded (API behaviour is covered by the compat tests)');
  if (c.activity || c.callback) return res('excluded', 'needs an external activity worker or task-token callback driver from the test code');
  const tpl = pickTemplate(c, hs[0]!.events);
  if (!tpl) return res('excluded', (c.templates?.length ?? 0) === 0 ? 'unmapped: the definition is built in the test code' : 'unmapped: several templates fit the recorded history');
  let src = readFileSync(join(CORPUS, 'templates', tpl), 'utf8');
  for (const [k, v] of Object.entries(c.fills ?? {})) src = src.split(k).join(v);
  const def = parseJson5(src) as Obj;
  for (const p of c.patches ?? []) {
    let o = def;
    for (const k of p.path.slice(0, -1)) o = o[k] as Obj;
    o[p.path[p.path.length - 1]!] = p.value;
  }
  const param = /\[(.*)\]$/.exec(c.key)?.[1];
  if (param && /^\$/.test(param) && !JSON.stringify(def).includes(param)) return res('excluded', 'unmapped: the test rewrites the template with its parameter');
  const bad = resources(def).find((r) => !OK_RESOURCE.test(r) && !/^arn:aws:states:[^:]*:[^:]*:activity:/.test(r));
  if (bad) return res('excluded', `needs AWS service integration ${bad}`);
  const evTypes = hs.flatMap((h) => h.events.map((e) => String(e['type'])));
  if (evTypes.some((t) => t.startsWith('MapRun'))) return res('excluded', 'needs a distributed Map (Map Runs, S3 item readers)');
  if (evTypes.some((t) => t.startsWith('Activity'))) return res('excluded', 'needs an external activity worker');
  if (evTypes.includes('ExecutionAborted')) return res('excluded', 'needs StopExecution from the test code');
  if (resources(def).some((r) => r.includes(':states:startExecution'))) return res('excluded', 'needs a second state machine created by the test code (states:startExecution)');
  if (evTypes.includes('TaskSubmitted')) return res('excluded', 'needs a task-token callback driver from the test code');
  // The Lambda function ARN placeholders are filled below (the fixture invoker serves the case's handler by any name).
  if (/"(__tbd__|_tbd_)"|%[A-Z_]+%/.test(JSON.stringify(def).replace(/"Resource":"(__tbd__|_tbd_)"/g, '').replace(/%LAMBDA_FUNCTION_ARN_LITERAL_PLACEHOLDER%/g, '')))
    return res('excluded', 'unmapped: the test code fills a placeholder of the template (other than a Lambda Resource)');
  // Function names/ARNs are fine (the fixture invoker runs the case's handler whatever the name); other normalised values are not.
  const normalised = (v: unknown): boolean =>
    typeof v === 'string' ? (/^<[^<>]+>$|^(date|timestamp)$/.test(v) || /<[^<>]+>/.test(v)) && !/lambda|function|^<sqs_queue_url>$/i.test(v) : Array.isArray(v) ? v.some(normalised) : isObj(v) ? Object.values(v).some(normalised) : false;
  if (hs.some((h) => normalised((h.events[0]?.['executionStartedEventDetails'] as Obj | undefined)?.['input'])))
    return res('excluded', 'the recorded input holds a value the corpus normalised away (a date or id), so it cannot be replayed');
  if (/"ErrorEquals":\[\]/.test(JSON.stringify(def))) return res('excluded', "unmapped: the test code fills the template's empty ErrorEquals");
  const recordedLambda = hs[0]!.events.map((e) => (e['lambdaFunctionScheduledEventDetails'] as Obj | undefined)?.['resource']).find((r) => typeof r === 'string') as string | undefined;
  if (recordedLambda && !resources(def).some((r) => /^arn:aws:lambda:|^(__tbd__|_tbd_)$/.test(r)))
    return res('excluded', "unmapped: the test code rewrites the template's Task Resource (the recording invokes a Lambda ARN the template lacks)");
  // Documentation-style placeholder ARNs (your-region, your-account-id) are filled by the test with the function it created.
  const fillArn = (recordedLambda ?? 'arn:aws:lambda:us-east-1:111111111111:function:fixture').replace('<partition>', 'aws').replace('<region>', 'us-east-1');
  const text = JSON.stringify(def)
    .replace(/"(__tbd__|_tbd_)"/g, '"arn:aws:lambda:us-east-1:111111111111:function:fixture"')
    .replace(/%LAMBDA_FUNCTION_ARN_LITERAL_PLACEHOLDER%/g, 'arn:aws:lambda:us-east-1:111111111111:function:fixture')
    .replace(/"arn:aws:lambda:your-region:your-account-id:function:[^"]*"/g, JSON.stringify(fillArn));
  const v = validateDefinition(text);
  for (let hi = 0; hi < hs.length; hi++) {
    const expected = hs[hi]!.events;
    const started = expected[0]?.['executionStartedEventDetails'] as Obj | undefined;
    if (!started) return res('excluded', 'recorded history does not start with ExecutionStarted');
    const rawInput = started['input'];
    const input = typeof rawInput === 'string' ? (tryParse(rawInput) ?? rawInput) : rawInput;
    if (v.diagnostics.length) return res('fail', `our validator rejects the definition: ${formatDiagnostics(v.diagnostics)}`);
    // The virtual clock starts when AWS ran the case (a Wait until a recorded timestamp is then as long as it was).
    const when = /^(\d\d)-(\d\d)-(\d{4}), (\d\d):(\d\d):(\d\d)/.exec(String(entry?.['recorded-date'] ?? ''));
    const startAt = when ? Date.UTC(Number(when[3]), Number(when[2]) - 1, Number(when[1]), Number(when[4]), Number(when[5]), Number(when[6])) : undefined;
    // The role as recorded (some recordings keep the normalised ARN shape instead of the fixed word).
    const role = typeof started['roleArn'] === 'string' ? started['roleArn'].replace(/<partition>/g, 'aws').replace(/<[^<>]+>/g, 'sfn-role') : undefined;
    const ex = await execute(JSON.parse(text) as Obj, input as Json, typeof rawInput === 'string' ? rawInput : undefined, c.handlers ?? [], startAt, role);
    if (!ex) return res('fail', 'did not finish within 5.5 virtual hours');
    let actual = ex.history.events.map((e) => ({ ...e })) as unknown as Obj[];
    if (expected.some((e) => Array.isArray(e['id']))) actual = normaliseParallel(actual);
    if (process.env['CONFORMANCE_DUMP']) console.error(JSON.stringify({ expected, actual }, null, 1));
    if (actual.length !== expected.length || actual.some((e, i) => e['type'] !== expected[i]!['type'])) {
      const i = actual.findIndex((e, j) => e['type'] !== expected[j]?.['type']);
      const at = i < 0 ? Math.min(actual.length, expected.length) : i;
      return res('fail', `history ${hi}: event #${at + 1} expected ${String(expected[at]?.['type'] ?? 'end')} got ${String(actual[at]?.['type'] ?? 'end')}${actual[at] && /Failed|Exited/.test(String(actual[at]?.['type'])) ? ` ${JSON.stringify(actual[at]).slice(0, 300)}` : ''}`);
    }
    const recorded = /^(\d\d)-(\d\d)-(\d{4})/.exec(String((snap[c.key] as Obj | undefined)?.['recorded-date'] ?? ''));
    ignoreRedriveCount = !!recorded && Date.UTC(Number(recorded[3]), Number(recorded[2]) - 1, Number(recorded[1])) < REDRIVE_LAUNCH;
    for (let i = 0; i < expected.length; i++) {
      const d = diff(expected[i], actual[i], `event#${i + 1}(${String(expected[i]!['type'])})`);
      if (d) return res('fail', `history ${hi}: ${d}`);
    }
  }
  return res('pass');
}

export async function runConformance(filter?: string): Promise<CaseResult[] | undefined> {
  if (!existsSync(CORPUS)) return undefined;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'test', 'conformance', 'states-manifest.json'), 'utf8')) as { cases: ManifestCase[] };
  const snaps = new Map<string, Record<string, unknown>>();
  const out: CaseResult[] = [];
  for (const c of manifest.cases) {
    if (filter && !c.key.includes(filter)) continue;
    try {
      const t0 = Date.now();
      out.push(await runCase(c, snaps));
      if (process.env['CONFORMANCE_TRACE']) console.error(`${Date.now() - t0}ms ${c.key}`);
    } catch (e) {
      out.push({ key: c.key, area: c.snapshot, outcome: 'fail', reason: `runner error: ${(e as Error).message}` });
    }
  }
  return out;
}

export function summarise(rs: CaseResult[]): { table: string; passRate: number; inScope: number; passed: number } {
  const areas = new Map<string, { pass: number; fail: number; excluded: number }>();
  for (const r of rs) {
    const a = areas.get(r.area) ?? { pass: 0, fail: 0, excluded: 0 };
    a[r.outcome]++;
    areas.set(r.area, a);
  }
  const lines = ['| area | passed | failed | excluded | pass rate (in scope) |', '|---|---|---|---|---|'];
  for (const [k, a] of [...areas].sort()) lines.push(`| ${k} | ${a.pass} | ${a.fail} | ${a.excluded} | ${a.pass + a.fail ? ((100 * a.pass) / (a.pass + a.fail)).toFixed(1) + '%' : '–'} |`);
  const passed = rs.filter((r) => r.outcome === 'pass').length;
  const inScope = rs.filter((r) => r.outcome !== 'excluded').length;
  lines.push(`| **all** | ${passed} | ${inScope - passed} | ${rs.length - inScope} | ${inScope ? ((100 * passed) / inScope).toFixed(1) : '0'}% |`);
  return { table: lines.join('\n'), passRate: inScope ? passed / inScope : 0, inScope, passed };
}

// CLI: node dist/test/conformance/states-runner.js [filter] — prints the table and every failing/excluded case.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rs = await runConformance(process.argv[2]);
  if (!rs) console.log('corpus not found at', CORPUS);
  else {
    for (const r of rs) if (r.outcome !== 'pass') console.log(`${r.outcome.toUpperCase()} ${r.key}: ${r.reason}`);
    console.log(summarise(rs).table);
  }
}
