// SAM transform benchmark: whole corpus and the largest template, cold process and warm, beside samtranslator (Python).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTemplate, transformSam } from '../src/services/cloudformation/index.js';
import { conformanceRegistry, CORPUS, missingSupport, MOCK_POLICIES } from '../test/conformance/sam-runner.js';
import { f2, pct, ratio, type Section } from './lib.js';

const REGION = 'ap-southeast-1';
const INDEX = fileURLToPath(new URL('../src/services/cloudformation/index.js', import.meta.url));
const WARM_RUNS = 30;

/**
 * Inputs both sides really translate: those whose types and events our registry has (the others we refuse at
 * once, which would flatter us), without Application templates (samtranslator would call the SAR over the network).
 */
function corpusFiles(inScopeOnly: boolean): string[] {
  const dir = join(CORPUS, 'input');
  const reg = conformanceRegistry();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(dir, f))
    .filter((f) => {
      const text = readFileSync(f, 'utf8');
      if (text.includes('AWS::Serverless::Application')) return false;
      if (!inScopeOnly) return true;
      try {
        return missingSupport(parseTemplate(text), reg) === undefined;
      } catch {
        return true;
      }
    })
    .sort();
}

/** The largest input that transforms without error (the largest overall is one we refuse outright). */
function largestValid(files: string[]): string {
  const ok = files.filter((f) => {
    try {
      transformSam(parseTemplate(readFileSync(f, 'utf8')), { region: REGION, managedPolicyMap: MOCK_POLICIES });
      return true;
    } catch {
      return false;
    }
  });
  return ok.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
}

function ours(text: string): void {
  try {
    transformSam(parseTemplate(text), { region: REGION, managedPolicyMap: MOCK_POLICIES });
  } catch {
    // Invalid inputs are part of the work: rejecting them is timed too.
  }
}

/** One fresh Node process: load the module, then transform every file of the list once (ms, from spawn to exit). */
function coldNode(list: string): number {
  const script = `import(${JSON.stringify(INDEX)}).then(m=>{const fs=require('fs');for(const f of fs.readFileSync(${JSON.stringify(list)},'utf8').split('\\n').filter(Boolean)){try{m.transformSam(m.parseTemplate(fs.readFileSync(f,'utf8')),{region:'${REGION}',managedPolicyMap:${JSON.stringify(MOCK_POLICIES)}})}catch{}}})`;
  const t = performance.now();
  const r = spawnSync(process.execPath, ['-e', script], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('node cold run failed');
  return performance.now() - t;
}

const PY = `
import sys, time, json
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
class Loader:
    def load(self): return ${JSON.stringify(MOCK_POLICIES)}
files = [l for l in open(sys.argv[1]).read().split('\\n') if l]
mode = sys.argv[2]
def one(f):
    try: transform(yaml_parse(open(f).read()), {}, Loader())
    except Exception: pass
if mode == 'once':
    for f in files: one(f)
else:
    runs = int(sys.argv[3]); out = []
    for f in files: one(f)
    for _ in range(runs):
        t = time.perf_counter()
        for f in files: one(f)
        out.append((time.perf_counter() - t) * 1000)
    print(json.dumps(out))
`;

function python(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import samtranslator'], { stdio: 'ignore' });
    return 'python3';
  } catch {
    return undefined;
  }
}

function coldPython(list: string, script: string): number {
  const t = performance.now();
  const r = spawnSync('python3', [script, list, 'once'], { stdio: 'ignore', env: { ...process.env, AWS_DEFAULT_REGION: REGION } });
  if (r.status !== 0) throw new Error('python cold run failed');
  return performance.now() - t;
}

function warmPython(list: string, script: string, runs: number): number[] {
  // samtranslator logs a warning per transform on stderr (unpublished metrics): dropped.
  const out = execFileSync('python3', [script, list, 'warm', String(runs)], { env: { ...process.env, AWS_DEFAULT_REGION: REGION }, encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(out) as number[];
}

function warmOurs(files: string[], runs: number): number[] {
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  for (const t of texts) ours(t);
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    for (const t of texts) ours(t);
    out.push(performance.now() - t0);
  }
  return out;
}

const median = (xs: number[]): number => pct(xs, 50);
const best = (f: () => number, n: number): number => Math.min(...Array.from({ length: n }, f));

export async function run(): Promise<Section> {
  if (!existsSync(CORPUS)) return { title: 'SAM transform', markdown: `Skipped: corpus not found at ${CORPUS}.` };
  const whole = corpusFiles(false);
  const files = corpusFiles(true);
  const largest = largestValid(files);
  const wholeList = join(tmpdir(), `selfless-sam-bench-whole-${process.pid}.txt`);
  const allList = join(tmpdir(), `selfless-sam-bench-all-${process.pid}.txt`);
  const oneList = join(tmpdir(), `selfless-sam-bench-one-${process.pid}.txt`);
  writeFileSync(wholeList, whole.join('\n'));
  writeFileSync(allList, files.join('\n'));
  writeFileSync(oneList, largest);
  const py = python();
  const pyScript = join(tmpdir(), `selfless-sam-bench-${process.pid}.py`);
  writeFileSync(pyScript, PY);

  const rows: [string, number, number][] = [];
  const coldWhole = best(() => coldNode(wholeList), 3);
  const warmWhole = median(warmOurs(whole, 5));
  const coldAll = best(() => coldNode(allList), 3);
  const coldOne = best(() => coldNode(oneList), 5);
  const warmAll = median(warmOurs(files, 5));
  const warmOne = median(warmOurs([largest], WARM_RUNS));
  let pCold = [NaN, NaN, NaN];
  let pWarm = [NaN, NaN, NaN];
  if (py) {
    // The Python corpus runs take half a minute each: one cold run, and one warm run after a warm-up pass.
    pCold = [coldPython(wholeList, pyScript), coldPython(allList, pyScript), best(() => coldPython(oneList, pyScript), 3)];
    pWarm = [median(warmPython(wholeList, pyScript, 1)), median(warmPython(allList, pyScript, 1)), median(warmPython(oneList, pyScript, WARM_RUNS))];
  }
  rows.push([`whole corpus (${whole.length} templates), cold process`, coldWhole, pCold[0]!]);
  rows.push([`whole corpus (${whole.length} templates), warm`, warmWhole, pWarm[0]!]);
  rows.push([`in-scope corpus (${files.length} templates), cold process`, coldAll, pCold[1]!]);
  rows.push([`in-scope corpus (${files.length} templates), warm`, warmAll, pWarm[1]!]);
  rows.push([`largest valid template (${largest.split('/').pop()}, ${statSync(largest).size} B), cold process`, coldOne, pCold[2]!]);
  rows.push([`largest valid template, warm`, warmOne, pWarm[2]!]);
  const md = [
    '| figure | selfless (ms) | samtranslator 1.110.0 (ms) | speed-up |',
    '|---|---:|---:|---:|',
    ...rows.map(([name, a, b]) => `| ${name} | ${f2(a)} | ${f2(b)} | ${ratio(b, a)} |`),
    '',
    `Parse + transform of each input (invalid ones rejected), region ${REGION}; cold = a fresh process loading the module/package and running the list once (best of several for ours and for the one-template Python run), warm = median of repeated runs in one process after a warm-up pass.`,
    `Whole corpus = every input but AWS::Serverless::Application templates (samtranslator would call the Serverless Application Repository); in-scope = the inputs whose types and events this registry translates (all of them now; a type not registered would be refused at once, which would flatter the whole-corpus rows).${py ? '' : ' samtranslator is not installed here: its column is n/a.'}`,
  ].join('\n');
  return { title: 'SAM transform', markdown: md };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void run().then((s) => process.stdout.write(`${s.markdown}\n`));
}
