// Unit: SNS filter policies on message attributes and on the message body, and their validation, from SNS's docs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesFilterPolicy, validateFilterPolicy, filterPolicyReason, type FilterPolicyScope } from '../../src/lib/filter-policy.js';

const STRING = 'https://docs.aws.amazon.com/sns/latest/dg/string-value-matching.html';
const NUMERIC = 'https://docs.aws.amazon.com/sns/latest/dg/numeric-value-matching.html';
const KEY = 'https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html';
const LOGIC = 'https://docs.aws.amazon.com/sns/latest/dg/and-or-logic.html';
const CONSTRAINTS = 'https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html';

type Attr = { DataType: string; StringValue?: string; BinaryValue?: Buffer };
const S = (v: string): Attr => ({ DataType: 'String', StringValue: v });
const N = (v: string): Attr => ({ DataType: 'Number', StringValue: v });
const A = (v: unknown[]): Attr => ({ DataType: 'String.Array', StringValue: JSON.stringify(v) });
const B: Attr = { DataType: 'Binary', BinaryValue: Buffer.from('x') };

// [source, policy, attributes, expected]
const attributeCases: [string, unknown, Record<string, Attr>, boolean][] = [
  [STRING, { customer_interests: ['rugby', 'tennis'] }, { customer_interests: S('rugby') }, true],
  [STRING, { customer_interests: ['rugby', 'tennis'] }, { customer_interests: S('baseball') }, false],
  [STRING, { customer_interests: ['rugby'] }, { customer_interests: A(['rugby', 'football']) }, true],
  [STRING, { customer_interests: ['rugby'] }, { customer_interests: A(['baseball']) }, false],
  [STRING, { customer_interests: ['rugby'] }, { customer_interests: S('Rugby') }, false], // case-sensitive
  [STRING, { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, { customer_interests: S('baseball') }, true],
  [STRING, { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, { customer_interests: A(['rugby', 'baseball']) }, true],
  [STRING, { customer_interests: [{ 'anything-but': ['rugby', 'tennis'] }] }, { customer_interests: S('rugby') }, false],
  [STRING, { customer_interests: [{ 'anything-but': ['rugby'] }] }, {}, false],
  [STRING, { event_type: [{ 'anything-but': { prefix: 'order-' } }] }, { event_type: S('data-entry') }, true],
  [STRING, { event_type: [{ 'anything-but': { prefix: 'order-' } }] }, { event_type: S('order-cancelled') }, false],
  [STRING, { source_ip: [{ cidr: '10.0.0.0/24' }] }, { source_ip: S('10.0.0.255') }, true],
  [STRING, { source_ip: [{ cidr: '10.0.0.0/24' }] }, { source_ip: S('10.1.1.0') }, false],
  [STRING, { customer_interests: [{ prefix: 'bas' }] }, { customer_interests: S('baseball') }, true],
  [STRING, { customer_interests: [{ prefix: 'bas' }] }, { customer_interests: S('rugby') }, false],
  [STRING, { customer_interests: [{ suffix: 'ball' }] }, { customer_interests: S('baseball') }, true],
  [STRING, { customer_interests: [{ suffix: 'ball' }] }, { customer_interests: S('rugby') }, false],
  [STRING, { customer_interests: [{ 'equals-ignore-case': 'tennis' }] }, { customer_interests: S('TeNnIs') }, true],
  [STRING, { customer_interests: [{ 'equals-ignore-case': 'tennis' }] }, { customer_interests: S('rugby') }, false],
  [NUMERIC, { price_usd: [{ numeric: ['=', 301.5] }] }, { price_usd: N('3.015e2') }, true],
  [NUMERIC, { price: [{ 'anything-but': [100, 500] }] }, { price: N('100.1') }, true],
  [NUMERIC, { price: [{ 'anything-but': [100, 500] }] }, { price: N('100') }, false],
  [NUMERIC, { price_usd: [{ numeric: ['<', 0] }] }, { price_usd: N('-1') }, true],
  [NUMERIC, { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, { price_usd: N('150') }, true],
  [NUMERIC, { price_usd: [{ numeric: ['>', 0, '<=', 150] }] }, { price_usd: N('150.5') }, false],
  [NUMERIC, { price_usd: [{ numeric: ['>', 0] }] }, { price_usd: S('10') }, false], // numeric needs a Number attribute
  [STRING, { price_usd: ['10'] }, { price_usd: N('10') }, false], // a string value needs a String attribute
  [KEY, { store: [{ exists: true }] }, { store: S('example_corp') }, true],
  [KEY, { store: [{ exists: true }] }, { event: S('order_placed') }, false],
  [KEY, { store: [{ exists: false }] }, { event: S('order_placed') }, true],
  [KEY, { store: [{ exists: false }] }, { store: S('example_corp') }, false],
  [CONSTRAINTS, { data: ['x'] }, { data: B }, false], // Binary attributes are ignored
  [CONSTRAINTS, { data: [{ exists: false }] }, { data: B }, true],
  [LOGIC, { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] }, { customer_interests: S('rugby'), price_usd: N('150') }, true],
  [LOGIC, { customer_interests: ['rugby'], price_usd: [{ numeric: ['>', 100] }] }, { customer_interests: S('rugby'), price_usd: N('50') }, false],
  [LOGIC, { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: S('aws.cloudwatch'), namespace: S('AWS/EC2') }, true],
  [LOGIC, { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] }, { source: S('aws.cloudwatch'), namespace: S('AWS/ES') }, false],
];

test('Attribute policies match MessageAttributes as SNS documents', () => {
  for (const [source, policy, attributes, want] of attributeCases) {
    assert.equal(validateFilterPolicy(JSON.stringify(policy), 'MessageAttributes'), undefined, JSON.stringify(policy));
    assert.equal(matchesFilterPolicy(policy, 'MessageAttributes', { attributes, body: 'hello' }), want, `${JSON.stringify(policy)} on ${JSON.stringify(attributes)} (${source})`);
  }
});

// [source, policy, body, expected]
const bodyCases: [string, unknown, string, boolean][] = [
  [STRING, { customer_interests: ['rugby'] }, '{"customer_interests": "rugby"}', true],
  [STRING, { customer_interests: ['rugby'] }, '{"customer_interests": ["football", "rugby"]}', true],
  [STRING, { customer_interests: ['rugby'] }, '{"customer_interests": "tennis"}', false],
  [NUMERIC, { price_usd: [{ numeric: ['=', 301.5] }] }, '{"price_usd": 3.015e2}', true],
  [NUMERIC, { price: [{ 'anything-but': [100, 500] }] }, '{"price": [100, 50]}', true],
  [NUMERIC, { price: [{ 'anything-but': [100, 500] }] }, '{"price": 100}', false],
  [KEY, { store: [{ exists: false }] }, '{"event": "order_placed"}', true],
  [LOGIC, { store: { name: [{ prefix: 'example' }] } }, '{"store": {"name": "example_corp"}}', true], // nested keys
  [LOGIC, { store: { name: [{ prefix: 'example' }] } }, '{"store": {"name": "other"}}', false],
  [CONSTRAINTS, { store: ['x'] }, 'not json', false], // a non-JSON body never matches
  [CONSTRAINTS, { store: ['x'] }, '["x"]', false],
];

test('Body policies match the JSON message body as SNS documents', () => {
  for (const [source, policy, body, want] of bodyCases) {
    assert.equal(validateFilterPolicy(JSON.stringify(policy), 'MessageBody'), undefined, JSON.stringify(policy));
    assert.equal(matchesFilterPolicy(policy, 'MessageBody', { attributes: {}, body }), want, `${JSON.stringify(policy)} on ${body} (${source})`);
  }
});

// The reasons SNS gives (as SetSubscriptionAttributes words them; the policy is named re-serialized, as SNS does).
const invalid: [unknown, FilterPolicyScope, string][] = [
  [{ key: [['value']] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Match value must be String, number, true, false, or null\n at [Source: (String)"{"key":[["value"]]}"; line: 1, column: 10]'],
  [{ key: [{ 'wrong-operator': true }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Unrecognized match type wrong-operator\n at [Source: (String)"{"key":[{"wrong-operator":true}]}"; line: 1, column: 31]'],
  [{ key: [{ wildcard: 'a*' }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Unrecognized match type wildcard\n at [Source: (String)"{"key":[{"wildcard":"a*"}]}"; line: 1, column: 22]'],
  [{ key: [{ suffix: 'value', prefix: 'value2' }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Only one key allowed in match expression\n at [Source: (String)"{"key":[{"suffix":"value","prefix":"value2"}]}"; line: 1, column: 37]'],
  [{ key: [] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Empty arrays are not allowed\n at [Source: (String)"{"key":[]}"; line: 1, column: 10]'],
  [{ key: [{ numeric: ['>', 3, '<', 1] }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Bottom must be less than top\n at [Source: (String)"{"key":[{"numeric":[">",3,"<",1]}]}"; line: 1, column: 33]'],
  [{ key: [{ numeric: ['<', 100, '>', 10] }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Too many elements in numeric expression\n at [Source: (String)"{"key":[{"numeric":["<",100,">",10]}]}"; line: 1, column: 30]'],
  [{ key: [{ exists: 'no' }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: exists match pattern must be either true or false.\n at [Source: (String)"{"key":[{"exists":"no"}]}"; line: 1, column: 20]'],
  [{ key: [{ 'anything-but': { suffix: 'test' } }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Unsupported anything-but pattern: suffix\n at [Source: (String)"{"key":[{"anything-but":{"suffix":"test"}}]}"; line: 1, column: 36]'],
  [{ key: [{ 'anything-but': { prefix: false } }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: prefix match pattern must be a string\n at [Source: (String)"{"key":[{"anything-but":{"prefix":false}}]}"; line: 1, column: 40]'],
  [{ key: [{ cidr: 'bad-filter/64' }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Nonstandard IP address: bad-filter'],
  [{ key_a: 'value_one' }, 'MessageBody', 'Invalid parameter: FilterPolicy: "key_a" must be an object or an array\n at [Source: (String)"{"key_a":"value_one"}"; line: 1, column: 11]'],
  [{ object: { key: [{ prefix: 'auto-' }] } }, 'MessageAttributes', 'Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy'],
  [{ k1: ['1'], k2: ['2'], k3: ['3'], k4: ['4'], k5: ['5'], k6: ['6'] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys'],
  [{ key: Array.from({ length: 151 }, (_, i) => `value${i}`) }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Filter policy is too complex'],
  // CONSTRAINTS: 3 x 4 x 2 x 3 x 1 x 3 = 216 > 150 (keys weigh by their depth)
  [{ key_a: { key_b: { key_c: ['1', '2', '3', '4'] } }, key_d: { key_e: ['1', '2', '3'] }, key_f: ['1', '2', '3'] }, 'MessageBody', 'Invalid parameter: FilterPolicy: Filter policy is too complex'],
  // LOGIC: (4 × 6) + (4 × 4 × 4) + (4 × 4 × 4) = 152 > 150 with $or
  [{ source: ['a', 'b', 'c', 'd'], $or: [{ metricName: ['1', '2', '3', '4', '5', '6'] }, { metricType: ['1', '2', '3', '4'], $or: [{ metricId: [1, 2, 3, 4] }, { spaceId: [1, 2, 3, 4] }] }] }, 'MessageAttributes', 'Invalid parameter: FilterPolicy: Filter policy is too complex'],
];

test('Invalid policies are refused with SNS\'s InvalidParameter texts and limits', () => {
  for (const [policy, scope, message] of invalid) assert.equal(validateFilterPolicy(JSON.stringify(policy, null, 2), scope), message, JSON.stringify(policy));
  assert.equal(
    validateFilterPolicy('{invalid', 'MessageAttributes'),
    "Invalid parameter: FilterPolicy: failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to start field name\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 2]",
  );
  assert.equal(filterPolicyReason('{"k1":["1"],"k2":["2"]}', 'MessageAttributes'), undefined);
  // Right at the limits: 5 keys, 150 combinations.
  assert.equal(validateFilterPolicy(JSON.stringify({ a: ['1'], b: ['2'], c: ['3'], d: ['4'], e: Array.from({ length: 150 }, (_, i) => `${i}`) }), 'MessageAttributes'), undefined);
  assert.equal(validateFilterPolicy(JSON.stringify({ store: { name: [{ prefix: 'x' }] } }), 'MessageBody'), undefined);
});
