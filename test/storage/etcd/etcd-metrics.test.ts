// The benchmark's reading of etcd's Prometheus histograms (bench/_etcd-metrics.ts): parsing, the delta over
// a run, the bucket holding a quantile and the count above a bound. Table-driven; no etcd process needed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketQuantileMs, countAboveMs, histogramDelta, parseCounters, parseHistograms, parseRpcCounts } from '../../../bench/_etcd-metrics.js';

const fsync = (counts: [string, number][], sum: number, count: number) =>
  [
    '# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.',
    '# TYPE etcd_disk_wal_fsync_duration_seconds histogram',
    ...counts.map(([le, n]) => `etcd_disk_wal_fsync_duration_seconds_bucket{le="${le}"} ${n}`),
    `etcd_disk_wal_fsync_duration_seconds_sum ${sum}`,
    `etcd_disk_wal_fsync_duration_seconds_count ${count}`,
    'etcd_disk_backend_commit_duration_seconds_count 7',
  ].join('\n');

describe('etcd metrics (benchmark)', () => {
  const before = parseHistograms(fsync([['0.001', 10], ['0.008', 12], ['0.016', 12], ['+Inf', 12]], 0.02, 12), ['etcd_disk_wal_fsync_duration_seconds']);
  const after = parseHistograms(fsync([['0.001', 60], ['0.008', 108], ['0.016', 110], ['+Inf', 112]], 0.52, 112), ['etcd_disk_wal_fsync_duration_seconds']);
  const d = histogramDelta(before.get('etcd_disk_wal_fsync_duration_seconds'), after.get('etcd_disk_wal_fsync_duration_seconds')!);

  it('parses buckets, sum and count of the named histograms only', () => {
    const h = after.get('etcd_disk_wal_fsync_duration_seconds')!;
    assert.deepEqual([...h.buckets], [[0.001, 60], [0.008, 108], [0.016, 110], [Infinity, 112]]);
    assert.equal(h.count, 112);
    assert.equal(after.has('etcd_disk_backend_commit_duration_seconds'), false);
  });

  it('takes the run as after − before', () => {
    assert.equal(d.count, 100);
    assert.ok(Math.abs(d.sum - 0.5) < 1e-9);
    assert.deepEqual([...d.buckets], [[0.001, 50], [0.008, 96], [0.016, 98], [Infinity, 100]]);
  });

  for (const [q, want] of [[0.5, 1], [0.51, 8], [0.96, 8], [0.97, 16], [0.99, Infinity], [0.3, 1]] as const) {
    it(`quantile ${q} lies in the bucket up to ${want} ms`, () => assert.equal(bucketQuantileMs(d, q), want));
  }

  for (const [ms, want] of [[1, 50], [8, 4], [10, 4], [16, 2], [0.5, 100]] as const) {
    it(`${want} observations above ${ms} ms`, () => assert.equal(countAboveMs(d, ms), want));
  }

  it('reads counters, summing their series; absent ones are 0', () => {
    const text = [
      '# TYPE etcd_server_leader_changes_seen_total counter',
      'etcd_server_leader_changes_seen_total 2',
      'etcd_server_slow_apply_total{member="a"} 3',
      'etcd_server_slow_apply_total{member="b"} 4',
      'etcd_server_slow_apply_total_other 100',
    ].join('\n');
    const c = parseCounters(text, ['etcd_server_leader_changes_seen_total', 'etcd_server_slow_apply_total', 'etcd_server_heartbeat_send_failures_total']);
    assert.deepEqual([...c], [['etcd_server_leader_changes_seen_total', 2], ['etcd_server_slow_apply_total', 7], ['etcd_server_heartbeat_send_failures_total', 0]]);
  });

  it('counts unary calls by method over every status code, streams aside', () => {
    const text = [
      'grpc_server_handled_total{grpc_code="OK",grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 10',
      'grpc_server_handled_total{grpc_code="Unavailable",grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 2',
      'grpc_server_handled_total{grpc_code="OK",grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 3',
      'grpc_server_handled_total{grpc_code="OK",grpc_method="Watch",grpc_service="etcdserverpb.Watch",grpc_type="bidi_stream"} 4',
    ].join('\n');
    assert.deepEqual([...parseRpcCounts(text)], [['Txn', 12], ['Range', 3]]);
  });

  it('sums series of several members', () => {
    const two = parseHistograms(`${fsync([['+Inf', 3]], 1, 3)}\n${fsync([['+Inf', 4]], 2, 4)}`, ['etcd_disk_wal_fsync_duration_seconds']);
    assert.equal(two.get('etcd_disk_wal_fsync_duration_seconds')!.count, 7);
  });
});
