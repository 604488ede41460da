import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Channel,
  ResizeDecoder,
  channelMessage,
  negotiateProtocol,
  outcomeStatus,
  parseChannelMessage,
  parseResize,
  remoteCommandProtocols,
  spdyRemoteCommandProtocols,
} from '../../../src/apiserver/streaming/channel-protocol.js';

test('negotiation: the client order wins among supported protocols', () => {
  const cases: [string | string[] | undefined, readonly string[], string | undefined][] = [
    ['v5.channel.k8s.io', remoteCommandProtocols, 'v5.channel.k8s.io'],
    ['v4.channel.k8s.io, v5.channel.k8s.io', remoteCommandProtocols, 'v4.channel.k8s.io'],
    [['base64.channel.k8s.io', 'v4.channel.k8s.io'], remoteCommandProtocols, 'v4.channel.k8s.io'],
    ['v5.channel.k8s.io, v4.channel.k8s.io, v3.channel.k8s.io, v2.channel.k8s.io, channel.k8s.io', spdyRemoteCommandProtocols, 'v4.channel.k8s.io'],
    ['v9.channel.k8s.io', remoteCommandProtocols, undefined],
    [undefined, remoteCommandProtocols, undefined],
  ];
  for (const [offered, supported, want] of cases) assert.equal(negotiateProtocol(offered, supported), want, String(offered));
});

test('channel messages: first byte is the channel', () => {
  assert.deepEqual(channelMessage(Channel.stdout, 'hi'), Buffer.from([1, 0x68, 0x69]));
  assert.deepEqual(channelMessage(Channel.error, Buffer.alloc(0)), Buffer.from([3]));
});

test('client messages per protocol version', () => {
  const cases: [Buffer, string, unknown][] = [
    [Buffer.from([0, 0x61]), 'v5.channel.k8s.io', { kind: 'data', channel: 0, data: Buffer.from('a') }],
    [Buffer.from([255, 0]), 'v5.channel.k8s.io', { kind: 'close', channel: 0 }],
    [Buffer.from([255, 0]), 'v4.channel.k8s.io', { kind: 'data', channel: 255, data: Buffer.from([0]) }],
    [Buffer.from([255]), 'v5.channel.k8s.io', { kind: 'ignored', why: 'close signal without a channel' }],
    [Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]), 'v4.channel.k8s.io', { kind: 'resize', width: 80, height: 24 }],
    [Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80}')]), 'v3.channel.k8s.io', { kind: 'ignored', why: 'malformed resize message' }],
    [Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":80,"Height":24}')]), 'v2.channel.k8s.io', { kind: 'data', channel: 4, data: Buffer.from('{"Width":80,"Height":24}') }],
    [Buffer.alloc(0), 'v5.channel.k8s.io', { kind: 'ignored', why: 'empty message' }],
  ];
  for (const [msg, proto, want] of cases) assert.deepEqual(parseChannelMessage(msg, proto as never), want, `${proto} ${msg.toString('hex')}`);
});

test('resize documents', () => {
  assert.deepEqual(parseResize('{"Width":0,"Height":0}'), { width: 0, height: 0 });
  assert.equal(parseResize('{"Width":-1,"Height":3}'), undefined);
  assert.equal(parseResize('nope'), undefined);
  const d = new ResizeDecoder();
  assert.deepEqual(d.push('{"Width":10,"Height":5}{"Wid'), [{ width: 10, height: 5 }]);
  assert.deepEqual(d.push('th":20,"Height":6}'), [{ width: 20, height: 6 }]);
});

test('exit status on the error channel', () => {
  const json = (b: Buffer | undefined) => JSON.parse(b!.toString());
  assert.deepEqual(json(outcomeStatus({ exitCode: 0 }, 'v5.channel.k8s.io')), { metadata: {}, status: 'Success' });
  const failed = json(outcomeStatus({ exitCode: 3, command: ['sh', '-c', 'exit 3'] }, 'v4.channel.k8s.io'));
  assert.equal(failed.status, 'Failure');
  assert.equal(failed.reason, 'NonZeroExitCode');
  assert.deepEqual(failed.details.causes, [{ reason: 'ExitCode', message: '3' }]);
  assert.equal(failed.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
  assert.equal(json(outcomeStatus({ error: 'no such file' }, 'v4.channel.k8s.io')).message, 'no such file');
  assert.equal(outcomeStatus({ exitCode: 0 }, 'v2.channel.k8s.io'), undefined);
  assert.equal(outcomeStatus({ error: 'boom' }, 'channel.k8s.io')!.toString(), 'boom');
});

test('WebSocket port-forward: ports query and the v4 port prefix', async () => {
  const { parsePortsQuery, portPrefix } = await import('../../../src/apiserver/streaming/port-forward-websocket.js');
  assert.deepEqual(parsePortsQuery(new URLSearchParams('ports=80,443&ports=8080')), [80, 443, 8080]);
  assert.equal(parsePortsQuery(new URLSearchParams('')), 'query parameter "ports" is required');
  assert.equal(parsePortsQuery(new URLSearchParams('ports=http')), 'unable to parse "http" as a port: invalid syntax');
  assert.equal(parsePortsQuery(new URLSearchParams('ports=70000')), 'port "70000" must be > 0 and < 65536');
  assert.deepEqual(portPrefix(8080), Buffer.from([0x90, 0x1f]));
});
