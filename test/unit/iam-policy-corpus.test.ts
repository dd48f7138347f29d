// The IAM policy corpus: every (policies, request, expected decision) case taken from AWS's documentation decides as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Caller } from '../../src/server/auth.js';
import { ROOT } from '../helpers/server.js';
import {
  contextFor,
  denialMessage,
  evaluate,
  parsePolicy,
  PolicyError,
  type AuthzRequest,
  type PolicyKind,
  type PolicySet,
} from '../../src/services/iam/policy/index.js';

interface Case {
  caller: string;
  action: string;
  resource: string;
  resourceAccount?: string;
  context?: Record<string, string | string[]>;
  expect: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  by?: string;
  note?: string;
}
interface Group {
  name: string;
  source: string;
  policies: { identity: unknown[]; resource?: unknown; trust?: unknown; boundary?: unknown; session?: unknown[]; resourceMustAllow?: boolean };
  cases: Case[];
}
interface Refusal {
  policy: string;
  kind: PolicyKind;
  message: string;
  source: string;
  note?: string;
}
interface Corpus {
  callers: Record<string, Caller>;
  groups: Group[];
  refusals: Refusal[];
}

// The fixture is read from the source tree (tsc does not copy JSON into dist/).
const corpus = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'iam-policy-corpus.json'), 'utf8')) as Corpus;

const text = (doc: unknown): string => JSON.stringify(doc);

function policySet(g: Group): PolicySet {
  const p = g.policies;
  const set: { -readonly [K in keyof PolicySet]: PolicySet[K] } = { identity: p.identity.map((d) => parsePolicy(text(d), 'identity')) };
  if (p.resource !== undefined) set.resource = parsePolicy(text(p.resource), 'resource');
  if (p.trust !== undefined) set.resource = parsePolicy(text(p.trust), 'trust');
  if (p.boundary !== undefined) set.boundary = parsePolicy(text(p.boundary), 'identity');
  if (p.session !== undefined) set.session = p.session.map((d) => parsePolicy(text(d), 'identity'));
  if (p.resourceMustAllow) set.resourceMustAllow = true;
  return set;
}

// The endings AWS documents for each deciding policy kind ("Access denied error messages").
const ENDINGS: Record<string, Record<string, string>> = {
  ExplicitDeny: {
    identity: 'with an explicit deny in an identity-based policy',
    resource: 'with an explicit deny in a resource-based policy',
    boundary: 'with an explicit deny in a permissions boundary',
    session: 'with an explicit deny in a session policy',
  },
  ImplicitDeny: {
    identity: 'because no identity-based policy allows the ',
    resource: 'because no resource-based policy allows the ',
    boundary: 'because no permissions boundary allows the ',
    session: 'because no session policy allows the ',
  },
};

test('IAM policy corpus: the corpus holds a few hundred documented cases, each group naming its AWS documentation page', () => {
  const cases = corpus.groups.reduce((n, g) => n + g.cases.length, 0);
  assert.ok(cases >= 300, `only ${cases} cases`);
  for (const g of corpus.groups) assert.match(g.source, /^https:\/\/docs\.aws\.amazon\.com\//, g.name);
  for (const r of corpus.refusals) assert.match(r.source, /^https:\/\/docs\.aws\.amazon\.com\//, r.message);
});

for (const g of corpus.groups) {
  test(`IAM policy corpus: ${g.name}`, () => {
    const set = policySet(g);
    for (const [i, c] of g.cases.entries()) {
      const caller = corpus.callers[c.caller];
      assert.ok(caller, `unknown caller ${c.caller}`);
      const req: AuthzRequest = {
        caller,
        action: c.action,
        resource: c.resource,
        resourceAccount: c.resourceAccount ?? caller.accountId,
        context: contextFor(caller, c.context ?? {}),
      };
      const d = evaluate(req, set);
      const label = `case ${i}: ${c.caller} ${c.action} ${c.resource}${c.note ? ` (${c.note})` : ''} — ${g.source}`;
      assert.equal(d.effect, c.expect, label);
      if (c.by !== undefined) assert.equal(d.by, c.by, label);
      if (d.effect !== 'Allow') {
        const msg = denialMessage(req, d);
        assert.ok(msg.startsWith(`User: ${caller.arn} is not authorized to perform: ${c.action}`), msg);
        const ending = ENDINGS[d.effect]?.[d.by];
        assert.ok(ending && msg.includes(ending), `${label}: ${msg}`);
      }
    }
  });
}

test('IAM policy corpus: every documented refusal is refused with IAM\'s MalformedPolicyDocument message', () => {
  for (const r of corpus.refusals) {
    assert.throws(
      () => parsePolicy(r.policy, r.kind),
      (e: unknown) => e instanceof PolicyError && e.message === r.message,
      `${r.policy} as ${r.kind} should be refused with "${r.message}" (${r.source})`,
    );
  }
});
