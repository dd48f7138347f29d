// Unit: the async worker's adaptive concurrency (limiter.ts) on a simulated machine: short invocations keep only the
// environments that raise throughput, long ones get the cap, and idle windows change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdaptiveLimit, LONG_MS, WINDOW_MS } from '../../src/services/lambda/async/limiter.js';

/**
 * Drives the limit for `seconds` of backlog on a machine whose throughput at concurrency c is `rate(c)` events/s,
 * each invocation lasting `durationMs`; returns the limits it chose, one per window.
 */
function drive(limit: AdaptiveLimit, seconds: number, rate: (c: number) => number, durationMs = 0.2, start = 0): { at: number; trace: number[] } {
  let t = start;
  const trace: number[] = [];
  while (t < start + seconds * 1000) {
    const c = limit.current;
    const perWindow = Math.max(1, Math.round((rate(c) * WINDOW_MS) / 1000));
    for (let i = 1; i <= perWindow; i++) limit.completed(t + (WINDOW_MS * i) / perWindow, durationMs);
    t += WINDOW_MS;
    trace.push(c);
  }
  return { at: t, trace };
}

test('Adaptive limit: short invocations on a machine saturated at 3 environments settle near 3, not at the cap of 32', () => {
  const limit = new AdaptiveLimit(32);
  assert.equal(limit.current, 2, 'starts with two environments');
  // Throughput rises to 3 environments, then each extra one costs 10%.
  const rate = (c: number) => (c <= 3 ? 600 * c : 1800 * 0.9 ** (c - 3));
  const { trace } = drive(limit, 60, rate);
  const late = trace.slice(-120);
  assert.ok(Math.max(...late) <= 4, `later limits ${late.join(',')}`);
  assert.ok(late.filter((c) => c === 3).length > late.length / 2, `mostly 3: ${late.join(',')}`);
});

test('Adaptive limit: short invocations whose throughput keeps rising with environments climb to the cap', () => {
  const limit = new AdaptiveLimit(32);
  drive(limit, 10, (c) => 400 * c);
  assert.equal(limit.current, 32);
});

test('Adaptive limit: a window of invocations that all take LONG_MS or more gets the cap, and the cap follows reserved concurrency', () => {
  const limit = new AdaptiveLimit(32);
  drive(limit, 1, (c) => c * 10, LONG_MS);
  assert.equal(limit.current, 32);
  limit.setCap(5);
  assert.equal(limit.current, 5);
  limit.setCap(20);
  assert.equal(limit.current, 20);
});

test('Adaptive limit: short invocations stretched by contention or a cold runtime do not count as long', () => {
  const limit = new AdaptiveLimit(32);
  // Most Durations of the window are long, but not all: the function itself is short.
  for (let i = 1; i <= 100; i++) limit.completed(i * 10, i % 5 === 0 ? 1 : LONG_MS * 3);
  assert.ok(limit.current <= 3, `still climbing step by step from 2, not at the cap: ${limit.current}`);
});

test('Adaptive limit: after a long phase, short invocations climb again from two', () => {
  const limit = new AdaptiveLimit(32);
  const { at } = drive(limit, 1, (c) => c * 10, LONG_MS);
  assert.equal(limit.current, 32);
  drive(limit, 0.5, () => 2000, 0.2, at);
  assert.equal(limit.current, 2);
});

test('Adaptive limit: windows in which a slot went unused (no backlog) leave the limit where it is, long invocations or not', () => {
  const limit = new AdaptiveLimit(32);
  for (let w = 0; w < 40; w++) {
    limit.starve();
    for (let i = 1; i <= 10; i++) limit.completed(w * WINDOW_MS + (WINDOW_MS * i) / 10, LONG_MS);
  }
  assert.equal(limit.current, 2);
});

test('Adaptive limit: a cap below two (reserved concurrency 1) is respected from the start', () => {
  const limit = new AdaptiveLimit(1);
  assert.equal(limit.current, 1);
  drive(limit, 5, (c) => 400 * c);
  assert.equal(limit.current, 1);
});
