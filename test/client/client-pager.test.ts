import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../src/client/client.js';
import { configMaps } from '../../src/client/resources.js';
import type { LineStream, RawResponse, RequestOptions, Transport } from '../../src/client/transport.js';

/** Answers list requests from a script and records their queries. */
class ScriptedTransport implements Transport {
  readonly queries: Array<Record<string, unknown>> = [];
  constructor(private readonly answers: Array<[number, unknown]>) {}
  async request(_m: string, _p: string, opts: RequestOptions = {}): Promise<RawResponse> {
    this.queries.push(Object.fromEntries(Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined)));
    const [status, body] = this.answers.shift()!;
    return { status, headers: {}, body: JSON.stringify(body) };
  }
  stream(): Promise<LineStream> {
    throw new Error('not used');
  }
  close(): void {}
}

const item = (name: string) => ({ metadata: { name, namespace: 'default' } });

test('an expired continue token falls back to one full list, as client-go\'s pager', async () => {
  const t = new ScriptedTransport([
    [200, { metadata: { resourceVersion: '10', continue: 'tok1' }, items: [item('a')] }],
    [410, { kind: 'Status', code: 410, reason: 'Expired', message: 'The provided continue parameter is too old' }],
    [200, { metadata: { resourceVersion: '15' }, items: [item('a'), item('b'), item('c')] }],
  ]);
  const res = await new ApiClient(t).list(configMaps, { namespace: 'default', limit: 1, resourceVersion: '0' });
  assert.deepEqual(res.items.map((o) => o.metadata.name), ['a', 'b', 'c']);
  assert.equal(res.resourceVersion, '15');
  assert.deepEqual(t.queries, [
    { limit: 1, resourceVersion: '0' },
    { limit: 1, continue: 'tok1' },
    { resourceVersion: '0' },
  ]);
});
