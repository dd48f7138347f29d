// Runs the installed reference transform (Python samtranslator) on corpus inputs, for regions the corpus has no
// golden files for (aws-cn, aws-us-gov); absent Python or samtranslator, the caller skips.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../src/services/cloudformation/index.js';

/** The reference harness's managed policy mock for a partition (tests/translator/test_translator.py). */
export function mockPolicies(partition: string): Record<string, string> {
  const p = (path: string): string => `arn:${partition}:iam::aws:policy/${path}`;
  const m: Record<string, string> = {
    AWSLambdaBasicExecutionRole: p('service-role/AWSLambdaBasicExecutionRole'),
    AmazonDynamoDBFullAccess: p('AmazonDynamoDBFullAccess'),
    AmazonDynamoDBReadOnlyAccess: p('AmazonDynamoDBReadOnlyAccess'),
    AWSLambdaRole: p('service-role/AWSLambdaRole'),
  };
  if (partition === 'aws') m['AWSXrayWriteOnlyAccess'] = p('AWSXrayWriteOnlyAccess');
  else m['AWSXRayDaemonWriteAccess'] = p('AWSXRayDaemonWriteAccess');
  return m;
}

const SCRIPT = `
import sys, json, os
from unittest.mock import patch, MagicMock
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
region, out_dir, policies = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
loader = MagicMock()
loader.load.return_value = policies
with patch("boto3.session.Session.region_name", region):
    for f in sys.argv[4:]:
        name = os.path.basename(f)[:-5]
        try:
            out = transform(json.loads(json.dumps(yaml_parse(open(f).read()))), {}, loader)
        except Exception as e:
            out = {"errorMessage": str(e)}
        json.dump(out, open(os.path.join(out_dir, name + ".json"), "w"))
`;

export function referenceAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import samtranslator'], { stdio: 'ignore' }).status === 0;
}

/** name → the reference's output (or {errorMessage}) for each input file, in that region and partition. */
export function runReference(region: string, partition: string, files: string[]): Map<string, Json> {
  const dir = mkdtempSync(join(tmpdir(), 'selfless-samref-'));
  try {
    const script = join(dir, 'ref.py');
    writeFileSync(script, SCRIPT);
    const r = spawnSync('python3', [script, region, dir, JSON.stringify(mockPolicies(partition)), ...files], { stdio: ['ignore', 'ignore', 'ignore'], timeout: 300_000 });
    if (r.status !== 0) throw new Error(`reference transform exited with ${r.status}`);
    const out = new Map<string, Json>();
    for (const f of readdirSync(dir)) if (f.endsWith('.json')) out.set(f.slice(0, -5), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Json);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
