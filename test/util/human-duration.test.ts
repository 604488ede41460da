// Table-driven tests for upstream's duration.HumanDuration / ShortHumanDuration, using upstream's own cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ageSince, humanDuration, parseTimestamp, shortHumanDuration } from '../../src/util/human-duration.js';

const MS = 1;
const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;
const NS = 1e-6; // Go's smallest Duration unit, in milliseconds

test('humanDuration: upstream TestHumanDuration', () => {
  const cases: [number, string][] = [
    [S, '1s'],
    [70 * S, '70s'],
    [190 * S, '3m10s'],
    [70 * M, '70m'],
    [47 * H, '47h'],
    [49 * H, '2d1h'],
    [(8 * 24 + 2) * H, '8d'],
    [367 * 24 * H, '367d'],
    [(365 * 2 * 24 + 25) * H, '2y1d'],
    [(365 * 8 * 24 + 2) * H, '8y'],
  ];
  for (const [d, want] of cases) assert.equal(humanDuration(d), want, `${d}ms`);
});

test('humanDuration: upstream TestHumanDurationBoundaries', () => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-2 * S + NS, '0s'],
    [0, '0s'],
    [S - MS, '0s'],
    [2 * M - MS, '119s'],
    [2 * M, '2m'],
    [2 * M + S, '2m1s'],
    [10 * M - MS, '9m59s'],
    [10 * M, '10m'],
    [10 * M + S, '10m'],
    [3 * H - MS, '179m'],
    [3 * H, '3h'],
    [3 * H + M, '3h1m'],
    [8 * H - MS, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 59 * M, '8h'],
    [2 * D - MS, '47h'],
    [2 * D, '2d'],
    [2 * D + H, '2d1h'],
    [8 * D - MS, '7d23h'],
    [8 * D, '8d'],
    [8 * D + 23 * H, '8d'],
    [2 * Y - MS, '729d'],
    [2 * Y, '2y'],
    [2 * Y + 23 * H, '2y'],
    [2 * Y + 23 * H + 59 * M, '2y'],
    [2 * Y + 24 * H - MS, '2y'],
    [2 * Y + 24 * H, '2y1d'],
    [3 * Y, '3y'],
    [4 * Y, '4y'],
    [5 * Y, '5y'],
    [6 * Y, '6y'],
    [7 * Y, '7y'],
    [8 * Y - MS, '7y364d'],
    [8 * Y, '8y'],
    [8 * Y + 364 * D, '8y'],
    [9 * Y, '9y'],
  ];
  for (const [d, want] of cases) assert.equal(humanDuration(d), want, `${d}ms`);
});

test('humanDuration: everyday ages', () => {
  const cases: [number, string][] = [
    [5 * S, '5s'],
    [3 * M + 2 * S, '3m2s'],
    [2 * D + 3 * H, '2d3h'],
    [5 * Y + 10 * D, '5y10d'],
    [12 * Y, '12y'],
  ];
  for (const [d, want] of cases) assert.equal(humanDuration(d), want);
});

test('shortHumanDuration: upstream TestShortHumanDurationBoundaries', () => {
  const cases: [number, string][] = [
    [-2 * S, '<invalid>'],
    [-2 * S + NS, '0s'],
    [0, '0s'],
    [S - MS, '0s'],
    [S, '1s'],
    [2 * S - MS, '1s'],
    [M - MS, '59s'],
    [M, '1m'],
    [2 * M - MS, '1m'],
    [H - MS, '59m'],
    [H, '1h'],
    [2 * H - MS, '1h'],
    [D - MS, '23h'],
    [D, '1d'],
    [2 * D - MS, '1d'],
    [Y - MS, '364d'],
    [Y, '1y'],
    [2 * Y - MS, '1y'],
    [2 * Y, '2y'],
  ];
  for (const [d, want] of cases) assert.equal(shortHumanDuration(d), want, `${d}ms`);
});

test('ageSince: timestamps, fractional seconds, absent and malformed values', () => {
  const now = new Date('2024-06-01T12:00:00Z');
  assert.equal(ageSince('2024-06-01T11:55:00Z', now), '5m');
  assert.equal(ageSince('2024-06-01T11:59:57.123456Z', now), '2s');
  assert.equal(ageSince('2024-06-01T13:59:00+02:00', now), '60s');
  assert.equal(ageSince(undefined, now), '<unknown>');
  assert.equal(ageSince('', now), '<unknown>');
  assert.equal(ageSince('yesterday', now), '<unknown>');
  assert.equal(ageSince('2024-06-01T12:00:05Z', now), '<invalid>');
  assert.equal(parseTimestamp(undefined), undefined);
  assert.ok(Number.isNaN(parseTimestamp('2024-06-01')));
});
