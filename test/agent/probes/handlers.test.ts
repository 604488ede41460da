// Probe handlers: port and URL resolution (pure), and httpGet/tcpSocket against real loopback servers.
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpGet, httpGetUrl, resolvePort, tcpCheck } from '../../../src/agent/probes/handlers.js';

const container = { name: 'app', ports: [{ name: 'http', containerPort: 8080 }] };

describe('probe targets', () => {
  const rows: [number | string | undefined, number | undefined][] = [[80, 80], ['8081', 8081], ['http', 8080], ['nope', undefined], [undefined, undefined]];
  for (const [port, want] of rows) it(`port ${String(port)} → ${String(want)}`, () => assert.equal(resolvePort(port, container), want));

  it('httpGet URL: pod IP by default, scheme, path with a leading slash, IPv6 brackets', () => {
    assert.equal(httpGetUrl({ port: 'http', path: 'healthz' }, { host: '10.42.0.5', container })?.href, 'http://10.42.0.5:8080/healthz');
    assert.equal(httpGetUrl({ port: 443, scheme: 'HTTPS', host: 'example.test' }, { host: '10.42.0.5', container })?.href, 'https://example.test/');
    assert.equal(httpGetUrl({ port: 80 }, { host: 'fd00::5', container })?.href, 'http://[fd00::5]/');
    assert.equal(httpGetUrl({ port: 'missing' }, { host: '10.42.0.5', container }), undefined);
  });
});

describe('network probes against loopback', () => {
  let server: Server;
  let port: number;
  let lastAgent = '';
  before(async () => {
    server = createServer((req, res) => {
      lastAgent = req.headers['user-agent'] ?? '';
      const code = Number(req.url?.slice(1)) || 200;
      res.writeHead(code, code >= 300 && code < 400 ? { Location: 'http://elsewhere.invalid/' } : {}).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  for (const [code, ok] of [[200, true], [302, true], [399, true], [400, false], [500, false]] as const) {
    it(`HTTP ${code} is ${ok ? 'success' : 'failure'}`, async () => {
      const r = await httpGet(new URL(`http://127.0.0.1:${port}/${code}`), [{ name: 'X-Probe', value: '1' }], 1000);
      assert.equal(r.ok, ok);
      if (!ok) assert.equal(r.output, `HTTP probe failed with statuscode: ${code}`);
      assert.equal(lastAgent, 'kube-probe/1.32');
    });
  }

  it('a closed port fails with the dial error upstream prints', async () => {
    const closed = await new Promise<number>((r) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const h = await httpGet(new URL(`http://127.0.0.1:${closed}/`), [], 1000);
    assert.equal(h.output, `Get "http://127.0.0.1:${closed}/": dial tcp 127.0.0.1:${closed}: connect: connection refused`);
    const t = await tcpCheck('127.0.0.1', closed, 1000);
    assert.deepEqual(t, { ok: false, output: `dial tcp 127.0.0.1:${closed}: connect: connection refused` });
    assert.deepEqual(await tcpCheck('127.0.0.1', port, 1000), { ok: true, output: '' });
  });
});
