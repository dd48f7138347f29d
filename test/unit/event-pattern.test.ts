// Unit: EventBridge event patterns, matching and validation, case by case from AWS's documentation and event-ruler.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, eventPatternReason, invalidEventPatternMessage, matches, parsePattern, PatternError } from '../../src/lib/event-pattern.js';

const CONTENT = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html';
const OPERATORS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html';
const ARRAYS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html';
const NULLS = 'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html';
const RULER = 'https://github.com/aws/event-ruler/blob/main/README.md';

// [source, pattern, event, expected]
const cases: [string, unknown, unknown, boolean][] = [
  // exact values
  [OPERATORS, { Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Monday' }, true],
  [OPERATORS, { Location: ['New York'], Day: ['Monday'] }, { Location: 'New York', Day: 'Friday' }, false],
  [RULER, { detail: { state: ['initializing', 'running'] } }, { detail: { state: 'running' } }, true],
  [RULER, { detail: { state: ['initializing', 'running'] } }, { detail: { state: 'stopped' } }, false],
  [RULER, { n: [300] }, { n: 3.0e2 }, true], // numbers compare numerically
  [RULER, { n: ['300'] }, { n: 300 }, false], // a string is not a number
  [RULER, { account: [123456789012] }, { account: 123456789012 }, true], // beyond the numeric range: literal match
  [NULLS, { responseElements: [null] }, { responseElements: null }, true],
  [NULLS, { responseElements: [null] }, { responseElements: 'null' }, false],
  [NULLS, { LastName: [''] }, { LastName: '' }, true],
  [NULLS, { LastName: [''] }, { LastName: 'Doe' }, false],
  [RULER, { ok: [true] }, { ok: true }, true],
  [RULER, { ok: [true] }, { ok: 'true' }, false],
  [RULER, { ip: ['10.0.0.1'] }, { ip: '10.0.0.1' }, true],
  [RULER, { ip: ['2001:db8::1'] }, { ip: '2001:0db8:0:0:0:0:0:1' }, true], // IP literals compare as addresses
  // nesting and arrays
  [ARRAYS, { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] }, { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'x'] }, true],
  [ARRAYS, { resources: ['a', 'b'] }, { resources: ['c', 'd'] }, false],
  [RULER, { employees: { firstName: ['Anna'] } }, { employees: [{ firstName: 'John' }, { firstName: 'Anna' }] }, true],
  [RULER, { employees: { firstName: ['Anna'] } }, { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] }, true],
  [RULER, { employees: { firstName: ['Anna'], lastName: ['Jones'] } }, { employees: [{ firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] }, false], // array-consistent
  [RULER, { employees: { firstName: ['Anna'], lastName: ['Smith'] } }, { employees: [{ firstName: 'Anna', lastName: 'Smith' }, { firstName: 'Peter', lastName: 'Jones' }] }, true],
  [RULER, { detail: { state: { status: ['running'] } } }, { detail: { 'state.status': 'running' } }, true], // keys joined with dots
  [RULER, { detail: { 'state.status': ['running'] } }, { detail: { state: { status: 'running' } } }, true],
  [RULER, { detail: { x: ['y'] } }, { detail: '{"x":"y"}' }, false], // a JSON string is not an object
  // prefix / suffix (and their ignore-case forms)
  [CONTENT, { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' }, true],
  [CONTENT, { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' }, false],
  [RULER, { n: [{ prefix: '1' }] }, { n: 123 }, false], // strings only
  [OPERATORS, { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'EventBridge' }, true],
  [OPERATORS, { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] }, { service: 'SQS' }, false],
  [CONTENT, { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
  [CONTENT, { FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' }, false],
  [OPERATORS, { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'IMAGE.PNG' }, true],
  [OPERATORS, { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }, { FileName: 'image.gif' }, false],
  // equals-ignore-case
  [OPERATORS, { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, { 'detail-type': 'EC2 Instance State-change Notification' }, true],
  [OPERATORS, { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, { 'detail-type': 'EC2 Spot' }, false],
  // wildcard
  [OPERATORS, { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myEventBus' }, true],
  [OPERATORS, { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/myEventBus' }, false],
  [RULER, { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' }, true],
  [RULER, { s: [{ wildcard: 'a\\*b' }] }, { s: 'a*b' }, true], // escaped asterisk
  [RULER, { s: [{ wildcard: 'a\\*b' }] }, { s: 'axb' }, false],
  // anything-but
  [CONTENT, { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'running' } }, true],
  [CONTENT, { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: 'initializing' } }, false],
  [CONTENT, { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: {} }, false], // needs the field
  [RULER, { detail: { state: [{ 'anything-but': 'initializing' }] } }, { detail: { state: null } }, true],
  [CONTENT, { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 1.23e2 } }, false],
  [CONTENT, { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { detail: { state: 'stopped' } }, false],
  [CONTENT, { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { detail: { 'x-limit': 250 } }, true],
  [CONTENT, { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'initializing' } }, false],
  [CONTENT, { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { detail: { state: 'running' } }, true],
  [RULER, { detail: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } }, { detail: { state: 'error-1' } }, false],
  [OPERATORS, { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.png' }, false],
  [OPERATORS, { FileName: [{ 'anything-but': { suffix: '.png' } }] }, { FileName: 'a.txt' }, true],
  [OPERATORS, { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'INITIALIZING' }, false],
  [OPERATORS, { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }, { state: 'running' }, true],
  [OPERATORS, { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/lib/x' }, false],
  [OPERATORS, { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }, { FilePath: '/usr/bin/x' }, true],
  [ARRAYS, { tags: [{ 'anything-but': 'a' }] }, { tags: ['a', 'b'] }, true], // any element not excluded
  // numeric
  [CONTENT, { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, { detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8 } }, true],
  [CONTENT, { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 0 } }, false],
  [CONTENT, { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } }, { detail: { 'c-count': 5.000001 } }, false],
  [CONTENT, { n: [{ numeric: ['>=', -1.5] }] }, { n: -1.5 }, true],
  [CONTENT, { n: [{ numeric: ['>', 100] }] }, { n: '101' }, false], // JSON numbers only
  [CONTENT, { n: [{ numeric: ['<', 5e9] }] }, { n: 6e9 }, false], // beyond the comparable range
  // exists
  [CONTENT, { detail: { 'c-count': [{ exists: false }] } }, { detail: { state: 'x' } }, true],
  [CONTENT, { detail: { 'c-count': [{ exists: false }] } }, { detail: { 'c-count': { c1: 100 } } }, true], // not a leaf
  [CONTENT, { detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': { c1: 100 } } }, false],
  [CONTENT, { detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': 5 } }, true],
  [RULER, { x: [{ exists: true }] }, { x: null }, true],
  [ARRAYS, { resources: [{ exists: true }] }, { resources: [] }, false], // an empty array has no leaf
  [ARRAYS, { resources: [{ exists: false }] }, { resources: [] }, true],
  [RULER, { a: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } }, { b: 1 }, true],
  // cidr
  [CONTENT, { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { detail: { sourceIPAddress: '10.0.0.255' } }, true],
  [CONTENT, { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { detail: { sourceIPAddress: '10.0.1.0' } }, false],
  [CONTENT, { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] }, { ip: '2001:db8:1234:1a00:9691:9503:25ad:1761' }, true],
  [CONTENT, { ip: [{ cidr: '2001:db8:1234:1a00::/64' }] }, { ip: '2001:db8:1234:1a01::1' }, false],
  [CONTENT, { ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 10 }, false],
  // $or
  [RULER, { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/EC2' }, true],
  [RULER, { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, false],
  [RULER, { source: ['aws.cloudwatch'], $or: [{ metricName: ['x'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] }] }, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 }, true],
  [RULER, { detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['x'] }] } }, { detail: { 'detail-type': 'x' } }, true],
];

test('Event patterns match as AWS documents, case by case', () => {
  for (const [source, pattern, event, want] of cases) {
    assert.equal(matches(parsePattern(JSON.stringify(pattern)), event), want, `${JSON.stringify(pattern)} on ${JSON.stringify(event)} (${source})`);
  }
});

test('A compiled pattern matches the same as the parsed object, and a raw pattern object compiles on first use', () => {
  const c = compilePattern('{"a":[{"prefix":"x"}]}');
  assert.equal(c.matches({ a: 'xy' }), true);
  assert.equal(matches(c, { a: 'y' }), false);
  assert.equal(matches({ a: [{ prefix: 'x' }] }, { a: 'xz' }), true);
});

// Reasons as EventBridge's TestEventPattern/PutRule give them (AWS's compiler: event-ruler's JsonRuleCompiler).
const invalid: [string, string][] = [
  ['"x"', 'Filter is not an object\n at [Source: (String)""x""; line: 1, column: 2]'],
  ['{"int": 42}', '"int" must be an object or an array\n at [Source: (String)"{"int": 42}"; line: 1, column: 11]'],
  ['{"string": "my-value"}', '"string" must be an object or an array\n at [Source: (String)"{"string": "my-value"}"; line: 1, column: 13]'],
  ['{"resources": []}', 'Empty arrays are not allowed\n at [Source: (String)"{"resources": []}"; line: 1, column: 17]'],
  ['{"a": {}}', 'Empty objects are not allowed\n at [Source: (String)"{"a": {}}"; line: 1, column: 9]'],
  ['{"my_key": [{"EXISTS": true}]}', 'Unrecognized match type EXISTS\n at [Source: (String)"{"my_key": [{"EXISTS": true}]}"; line: 1, column: 28]'],
  ['{"c": [{"numeric": [">", 0, ">", 0]}]}', 'Bad numeric range operator: >\n at [Source: (String)"{"c": [{"numeric": [">", 0, ">", 0]}]}"; line: 1, column: 32]'],
  ['{"c": [{"numeric": 10}]}', 'Value of numeric must be an array.\n at [Source: (String)"{"c": [{"numeric": 10}]}"; line: 1, column: 22]'],
  ['{"c": [{"numeric": ["<", 1e10]}]}', 'Value must be between -5.0E9 and 5.0E9, inclusive\n at [Source: (String)"{"c": [{"numeric": ["<", 1e10]}]}"; line: 1, column: 31]'],
  ['{"c": [{"numeric": [">", 5, "<", 1]}]}', 'Bottom must be less than top\n at [Source: (String)"{"c": [{"numeric": [">", 5, "<", 1]}]}"; line: 1, column: 36]'],
  ['{"a": [{"wildcard": "x**"}]}', 'Consecutive wildcard characters at pos 2\n at [Source: (String)"{"a": [{"wildcard": "x**"}]}"; line: 1, column: 26]'],
  ['{"a": [{"wildcard": "x\\\\y"}]}', 'Invalid escape character at pos 2\n at [Source: (String)"{"a": [{"wildcard": "x\\\\y"}]}"; line: 1, column: 27]'],
  ['{"a": [{"prefix": 1}]}', 'prefix match pattern must be a string\n at [Source: (String)"{"a": [{"prefix": 1}]}"; line: 1, column: 20]'],
  ['{"a": [{"anything-but": {"prefix": ""}}]}', 'Null prefix/suffix not allowed\n at [Source: (String)"{"a": [{"anything-but": {"prefix": ""}}]}"; line: 1, column: 38]'],
  ['{"a": [{"anything-but": null}]}', 'Value of anything-but must be an array or single string/number value.\n at [Source: (String)"{"a": [{"anything-but": null}]}"; line: 1, column: 29]'],
  ['{"a": [{"anything-but": ["x", 1]}]}', 'Inside anything but list, either all values are number or string, mixed type is not supported\n at [Source: (String)"{"a": [{"anything-but": ["x", 1]}]}"; line: 1, column: 33]'],
  ['{"a": [{"cidr": "10.0.0.0"}]}', "Malformed CIDR, one '/' required"],
  ['{"a": [{"cidr": "10.0.0.0/32"}]}', 'IPv4 mask bits must be < 32'],
  ['{"a": [{"cidr": "xx.11.xx/8"}]}', 'Nonstandard IP address: xx.11.xx'],
  ['{"$or": [{"a": ["x"]}]}', 'There must have at least 2 Objects in $or relationship.\n at [Source: (String)"{"$or": [{"a": ["x"]}]}"; line: 1, column: 23]'],
  ['{"$or": [{"numeric": ["x"]}, {"b": ["y"]}]}', 'numeric is Ruler reserved fieldName which cannot be used inside $or.\n at [Source: (String)"{"$or": [{"numeric": ["x"]}, {"b": ["y"]}]}"; line: 1, column: 23]'],
  ['this is not json', "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at [Source: (String)\"this is not json\"; line: 1, column: 5]"],
];

test('Invalid patterns are refused with EventBridge\'s reasons and locations', () => {
  for (const [text, reason] of invalid) {
    assert.equal(eventPatternReason(text), reason, text);
    assert.throws(() => parsePattern(text), PatternError);
  }
  assert.equal(invalidEventPatternMessage('Empty arrays are not allowed'), 'Event pattern is not valid. Reason: Empty arrays are not allowed');
  assert.equal(eventPatternReason('{"a": [{"anything-but": {"wildcard": "*/lib/*"}}], "b": [{"numeric": ["=", 1]}]}'), undefined);
});

test('A long pattern is named truncated in the location, as AWS does past 500 characters', () => {
  const long = `{"a": [${Array.from({ length: 120 }, (_, i) => `"v${i}"`).join(', ')}], "b": 1}`;
  assert.match(eventPatternReason(long)!, /"\[truncated \d+ chars\]; line: 1, column: \d+\]$/);
});
