#!/usr/bin/env node
// Rebuilds src/server/shapes/*.ts: the input shapes of the AWS services selfless serves, from botocore's models.
//
// Usage: node scripts/gen-shapes.mjs [botocore data dir]
// The data dir defaults to the one of the python3 botocore installed on this machine. For every operation of each
// service it keeps the input structure and every shape reachable from it, reduced to what the edge validator
// checks (src/server/validate.ts): member types, required members, HTTP bindings (rest-json), min/max lengths and
// ranges, patterns that compile as JavaScript regular expressions, enums; plus the operation's error names.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICES = [
  { name: 'lambda', dir: 'lambda', version: '2015-03-31', exportName: 'lambdaShapes' },
  { name: 'sqs', dir: 'sqs', version: '2012-11-05', exportName: 'sqsShapes' },
  { name: 'states', dir: 'stepfunctions', version: '2016-11-23', exportName: 'statesShapes' },
  { name: 'logs', dir: 'logs', version: '2014-03-28', exportName: 'logsShapes' },
  { name: 'events', dir: 'events', version: '2015-10-07', exportName: 'eventsShapes' },
  { name: 'kms', dir: 'kms', version: '2014-11-01', exportName: 'kmsShapes' },
  { name: 'secretsmanager', dir: 'secretsmanager', version: '2017-10-17', exportName: 'secretsmanagerShapes' },
  { name: 'ssm', dir: 'ssm', version: '2014-11-06', exportName: 'ssmShapes' },
  { name: 'ecr', dir: 'ecr', version: '2015-09-21', exportName: 'ecrShapes' },
];

/**
 * Patterns (and below, enum orders) AWS's answers show that differ from this machine's model (AWS's current service, recorded 2025-2026; see
 * test/fixtures/lambda-aws-errors.json): the validator checks and names these instead.
 */
const PATTERNS = {
  lambda: {
    FunctionName:
      '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
  },
};

/** Enums AWS's answers list in another order than the model. */
const ENUMS = { lambda: { EventSourcePosition: ['LATEST', 'AT_TIMESTAMP', 'TRIM_HORIZON'] } };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir =
  process.argv[2] ??
  join(execFileSync('python3', ['-c', 'import botocore,os;print(os.path.dirname(botocore.__file__))'], { encoding: 'utf8' }).trim(), 'data');

/** The pattern as the validator will compile it, or undefined when JavaScript cannot express it. */
function jsPattern(p) {
  for (const flags of ['u', '']) {
    try {
      new RegExp(`^(?:${p})$`, flags);
      if (flags === '' && /\\p\{/.test(p)) continue;
      return flags ? p : { p, f: '' };
    } catch {
      /* try the next flags */
    }
  }
  return undefined;
}

function reduce(s, skipped) {
  const out = { t: s.type };
  if (s.type === 'structure') {
    out.m = {};
    for (const [name, m] of Object.entries(s.members ?? {})) {
      const mem = { s: m.shape };
      if (m.location) mem.l = m.location;
      if (m.locationName && m.locationName !== name) mem.n = m.locationName;
      out.m[name] = mem;
    }
    if (s.required?.length) out.r = s.required;
    if (s.payload) out.p = s.payload;
  } else if (s.type === 'list') {
    out.m = s.member.shape;
  } else if (s.type === 'map') {
    out.k = s.key.shape;
    out.v = s.value.shape;
  }
  if (s.min !== undefined) out.min = s.min;
  if (s.max !== undefined) out.max = s.max;
  if (s.enum) out.e = s.enum;
  if (s.sensitive) out.x = 1;
  if (s.pattern !== undefined) {
    const p = jsPattern(s.pattern);
    if (p === undefined) skipped.push(s.pattern);
    else if (typeof p === 'string') out.pt = p;
    else out.pt = p.p, (out.pf = p.f);
  }
  return out;
}

function build(svc) {
  const file = join(dataDir, svc.dir, svc.version, 'service-2.json.gz');
  const model = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
  const shapes = {};
  const ops = {};
  const skipped = [];
  const visit = (name) => {
    if (shapes[name]) return;
    const s = model.shapes[name];
    const pattern = PATTERNS[svc.name]?.[name];
    const values = ENUMS[svc.name]?.[name];
    shapes[name] = reduce({ ...s, ...(pattern ? { pattern } : {}), ...(values ? { enum: values } : {}) }, skipped);
    if (s.type === 'structure') for (const m of Object.values(s.members ?? {})) visit(m.shape);
    else if (s.type === 'list') visit(s.member.shape);
    else if (s.type === 'map') (visit(s.key.shape), visit(s.value.shape));
  };
  for (const [name, op] of Object.entries(model.operations).sort(([a], [b]) => a.localeCompare(b))) {
    if (op.input) visit(op.input.shape);
    ops[name] = { i: op.input?.shape, e: (op.errors ?? []).map((e) => e.shape) };
    if (model.metadata.protocol === 'rest-json') ops[name].h = [op.http.method, op.http.requestUri];
  }
  const sorted = Object.fromEntries(Object.entries(shapes).sort(([a], [b]) => a.localeCompare(b)));
  const meta = { protocol: model.metadata.protocol, targetPrefix: model.metadata.targetPrefix, version: svc.version };
  return { meta, ops, shapes: sorted, skipped };
}

const outDir = join(root, 'src', 'server', 'shapes');
mkdirSync(outDir, { recursive: true });
for (const svc of SERVICES) {
  const { meta, ops, shapes, skipped } = build(svc);
  // One operation or shape a line, so that a model update reads as a small diff.
  const lines = (o) => Object.entries(o).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)},`).join('\n');
  const body = `{\n  protocol: ${JSON.stringify(meta.protocol)},\n  targetPrefix: ${JSON.stringify(meta.targetPrefix ?? null)},\n  version: ${JSON.stringify(meta.version)},\n  ops: {\n${lines(ops)}\n  },\n  shapes: {\n${lines(shapes)}\n  },\n}`;
  const text =
    `// Generated by scripts/gen-shapes.mjs from botocore's ${svc.dir} ${svc.version} model: input shapes for the edge validator. Do not edit.\n` +
    `import type { ServiceShapes } from './types.js';\n\n` +
    `export const ${svc.exportName}: ServiceShapes = ${body};\n`;
  writeFileSync(join(outDir, `${svc.name}.ts`), text);
  process.stdout.write(`${svc.name}: ${Object.keys(ops).length} operations, ${Object.keys(shapes).length} shapes, ${text.length} bytes` +
    (skipped.length ? `; patterns JavaScript cannot express, not checked: ${skipped.length}` : '') + '\n');
}
