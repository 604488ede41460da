// The benchmark's server CPU split (bench/_tail-monitor.mjs): each sample goes to the component of the frame
// nearest its leaf, socket-write syscalls and GC are their own rows, idle is left out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
// @ts-expect-error plain JavaScript benchmark tooling without type declarations
import { cpuSplit } from '../../../bench/_tail-monitor.mjs';

interface Frame {
  functionName: string;
  url: string;
}

/** A profile with one sample per stack (leaf last), each `us` microseconds. */
function profile(stacks: Array<{ frames: Frame[]; us: number }>) {
  const nodes: Array<{ id: number; callFrame: Frame; children: number[] }> = [{ id: 1, callFrame: { functionName: '(root)', url: '' }, children: [] }];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const s of stacks) {
    let parent = nodes[0]!;
    for (const f of s.frames) {
      const node = { id: nodes.length + 1, callFrame: f, children: [] as number[] };
      nodes.push(node);
      parent.children.push(node.id);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(s.us);
  }
  return { nodes, samples, timeDeltas };
}

const f = (functionName: string, url: string): Frame => ({ functionName, url });
const h2 = f('onBytes', 'file:///repo/dist/storage/etcd/h2-connection.js');
const codec = f('decodeTxnResponse', 'file:///repo/dist/storage/etcd/kv-codec.js');
const store = f('create', 'file:///repo/dist/storage/etcd/etcd-store.js');
const cache = f('apply', 'file:///repo/dist/storage/watch-cache.js');
const rest = f('admitAndCreate', 'file:///repo/dist/apiserver/rest/create.js');
const parse = f('JSON.parse', '');

describe('cpuSplit', () => {
  const cases: Array<{ name: string; stacks: Array<{ frames: Frame[]; us: number }>; want: Record<string, number> }> = [
    { name: 'a codec call under the channel is codec', stacks: [{ frames: [store, h2, codec], us: 1500 }], want: { 'etcd protobuf codec': 1.5 } },
    { name: 'native work under the watch cache called from the client is watch cache', stacks: [{ frames: [h2, cache, parse], us: 2000 }], want: { 'watch cache': 2 } },
    { name: 'node:http2 internals are the HTTP/2 client', stacks: [{ frames: [store, f('request', 'node:internal/http2/core')], us: 1000 }], want: { 'etcd HTTP/2 + gRPC client': 1 } },
    {
      name: 'socket writes, GC and unattributed native time are rows of their own; idle is left out',
      stacks: [
        { frames: [rest, f('end', 'node:_http_outgoing'), f('writev', '')], us: 3000 },
        { frames: [f('(garbage collector)', '')], us: 700 },
        { frames: [f('(program)', '')], us: 300 },
        { frames: [f('(idle)', '')], us: 9000 },
      ],
      want: { 'socket writes': 3, 'garbage collector': 0.7, 'native (unattributed)': 0.3 },
    },
    { name: 'API handlers and anything else', stacks: [{ frames: [rest], us: 400 }, { frames: [f('processTicksAndRejections', 'node:internal/process/task_queues')], us: 100 }], want: { 'API server handlers': 0.4, other: 0.1 } },
    { name: 'the etcd store itself', stacks: [{ frames: [rest, store], us: 250 }], want: { 'etcd store + watch': 0.3 } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(cpuSplit(profile(c.stacks)), c.want));
});
