// Unit: alias routing picks versions by weight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickVersion } from '../../src/services/lambda/routing.js';

test('Alias routing: without weights the primary version always runs', () => {
  for (const r of [0, 0.5, 0.999]) assert.equal(pickVersion({ FunctionVersion: '3' }, r), '3');
});

test('Alias routing: the additional version runs for random draws below its weight, the primary otherwise', () => {
  const alias = { FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } };
  assert.equal(pickVersion(alias, 0), '2');
  assert.equal(pickVersion(alias, 0.2499), '2');
  assert.equal(pickVersion(alias, 0.25), '1');
  assert.equal(pickVersion(alias, 0.9), '1');
  // Over an even grid of draws the split is exactly the weight.
  let two = 0;
  for (let i = 0; i < 1000; i++) if (pickVersion(alias, i / 1000) === '2') two++;
  assert.equal(two, 250);
});

test('Alias routing: weight 0 never and weight 1 always picks the additional version', () => {
  assert.equal(pickVersion({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0 } } }, 0), '1');
  assert.equal(pickVersion({ FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 1 } } }, 0.9999), '2');
});
