// Template parsing: CloudFormation short tags to long forms, JSON first, and CloudFormation's error wording.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, TemplateFormatError } from '../../src/services/cloudformation/index.js';

test('parseTemplate: !GetAtt in dotted form splits at the first dot only', () => {
  assert.deepEqual(parseTemplate('A: !GetAtt Fn.Arn\nB: !GetAtt Res.Out.Attr\n'), { A: { 'Fn::GetAtt': ['Fn', 'Arn'] }, B: { 'Fn::GetAtt': ['Res', 'Out.Attr'] } });
});

test('parseTemplate: !Ref and !Condition keep their names; every other tag gains Fn::', () => {
  const t = parseTemplate(`
R: !Ref P
C: !Condition IsProd
S: !Sub ['x-\${V}', {V: !Ref P}]
I: !If [IsProd, !Ref X, !Ref "AWS::NoValue"]
J: !Join ['', [a, !Base64 b]]
L: !Length [1, 2]
T: !ToJsonString {a: 1}
G: !GetAZs ''
E: !Equals [!Select [0, !Split [',', 'a,b']], a]
`);
  assert.deepEqual(t, {
    R: { Ref: 'P' },
    C: { Condition: 'IsProd' },
    S: { 'Fn::Sub': ['x-${V}', { V: { Ref: 'P' } }] },
    I: { 'Fn::If': ['IsProd', { Ref: 'X' }, { Ref: 'AWS::NoValue' }] },
    J: { 'Fn::Join': ['', ['a', { 'Fn::Base64': 'b' }]] },
    L: { 'Fn::Length': [1, 2] },
    T: { 'Fn::ToJsonString': { a: 1 } },
    G: { 'Fn::GetAZs': '' },
    E: { 'Fn::Equals': [{ 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] }, 'a'] },
  });
});

test('parseTemplate: dates stay strings, anchors and merge keys resolve, duplicate keys keep the last', () => {
  const t = parseTemplate('V: 2010-09-09\nbase: &b {x: 1}\nm:\n  <<: *b\n  y: 2\nd: 1\nd: 2\n');
  assert.deepEqual(t, { V: '2010-09-09', base: { x: 1 }, m: { x: 1, y: 2 }, d: 2 });
});

test('parseTemplate: YAML 1.1 booleans (yes/no/on/off) are booleans as PyYAML reads them; y, n and quoted words stay strings', () => {
  assert.deepEqual(parseTemplate('a: yes\nb: Off\nc: y\nd: "yes"\ne: NO\n'), { a: true, b: false, c: 'y', d: 'yes', e: false });
});

test('parseTemplate: an alias to its own ancestor is a format error, not an infinite tree', () => {
  assert.throws(() => parseTemplate('a: &x [1, *x]\n'), TemplateFormatError);
  assert.deepEqual(parseTemplate('a: &x [1]\nb: [*x, *x]\n'), { a: [1], b: [[1], [1]] });
});

test('parseTemplate: an unknown short tag becomes Fn::<Tag>, as the reference constructor does', () => {
  assert.deepEqual(parseTemplate('a: !Foo bar\nb: !Bar [1]\n'), { a: { 'Fn::Foo': 'bar' }, b: { 'Fn::Bar': [1] } });
});

test('parseTemplate: JSON templates are read as JSON', () => {
  assert.deepEqual(parseTemplate('{"Resources": {"A": {"Type": "T"}}}'), { Resources: { A: { Type: 'T' } } });
});

test('parseTemplate: malformed YAML is a Template format error naming line and column', () => {
  assert.throws(
    () => parseTemplate('Resources:\n  A: [unclosed\n  B: }\n'),
    (e: unknown) => e instanceof TemplateFormatError && /^Template format error: YAML not well-formed\. \(line \d+, column \d+\)$/.test(e.message) && typeof e.line === 'number',
  );
});
