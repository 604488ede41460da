// exec/attach against containerd's streaming server over SPDY/3.1 (remote command protocol
// v4.channel.k8s.io), the client side kubectl speaks to a kubelet: one stream per channel (error, stdin,
// stdout, stderr, resize), opened before the server starts the command. Unlike WebSocket v4, SPDY can end
// stdin alone (a FIN on the stdin stream), so `kubectl exec -i ... -- cat` and `kubectl cp` see EOF. Frames
// and header compression are the API server's SPDY code (src/apiserver/streaming/spdy-frames.ts); this module
// is only the client's choreography.
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import type { StreamSession } from '../runtime.js';
import {
  FLAG_FIN, FrameReader, HeaderDeflater, encodeData, encodeGoAway, encodePing, encodeSynStream,
} from '../../apiserver/streaming/spdy-frames.js';
import { exitCodeFromStatus, type ChannelStreams } from './stream-client.js';

const protocol = 'v4.channel.k8s.io';
const maxChunk = 32 * 1024;

function upgrade(url: string): Promise<{ socket: Duplex; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol, 'Content-Length': '0' },
    });
    req.once('upgrade', (res, socket, head) => {
      if (res.headers['x-stream-protocol-version'] !== protocol) {
        socket.destroy();
        reject(new Error(`CRI streaming server did not agree to ${protocol}`));
        return;
      }
      resolve({ socket, head });
    });
    req.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(new Error(`CRI streaming server answered ${res.statusCode}: ${body.trim()}`)));
    });
    req.once('error', (e) => reject(new Error(`CRI streaming connection to ${url} failed: ${e.message}`)));
    req.end();
  });
}

/** Runs an exec or attach session against a CRI streaming URL over SPDY. */
export async function openRemoteCommandSpdy(url: string, io: ChannelStreams): Promise<StreamSession> {
  const { socket, head } = await upgrade(url);
  const deflater = new HeaderDeflater();
  let nextId = 1;
  const open = (type: string): number => {
    const id = nextId;
    nextId += 2;
    socket.write(encodeSynStream(id, 0, 0, 0, deflater.compress({ streamtype: type })));
    return id;
  };
  // The server waits for exactly the streams the request asked for; error first, as kubectl opens them.
  const errorId = open('error');
  const stdinId = io.stdin ? open('stdin') : undefined;
  const stdoutId = io.stdout ? open('stdout') : undefined;
  const stderrId = io.stderr && !io.tty ? open('stderr') : undefined;
  const resizeId = io.tty ? open('resize') : undefined;

  let errorText = '';
  let settled = false;
  let resolveDone!: (v: { exitCode: number }) => void;
  const done = new Promise<{ exitCode: number }>((r) => (resolveDone = r));
  const finish = () => {
    if (settled) return;
    settled = true;
    io.stdin?.off('data', onStdin);
    io.stdin?.off('end', onStdinEnd);
    if (!socket.destroyed) {
      socket.write(encodeGoAway(0, 0));
      socket.end();
    }
    resolveDone({ exitCode: exitCodeFromStatus(errorText).exitCode });
  };
  const send = (id: number, data: Buffer, fin: boolean) => {
    if (socket.destroyed || settled) return;
    for (let off = 0; off < data.length || (fin && off === 0); off += maxChunk) {
      const chunk = data.subarray(off, off + maxChunk);
      socket.write(encodeData(id, chunk, fin && off + maxChunk >= data.length));
      if (!data.length) break;
    }
  };
  const onStdin = (chunk: Buffer | string) => send(stdinId!, typeof chunk === 'string' ? Buffer.from(chunk) : chunk, false);
  const onStdinEnd = () => send(stdinId!, Buffer.alloc(0), true);

  const reader = new FrameReader();
  const onData = (d: Buffer) => {
    for (const f of reader.push(d)) {
      if (f.type === 'data') {
        if (f.streamId === stdoutId) io.stdout?.write(f.data);
        else if (f.streamId === stderrId) io.stderr?.write(f.data);
        else if (f.streamId === errorId) {
          errorText += f.data.toString();
          if (f.flags & FLAG_FIN) finish();
        }
      } else if (f.type === 'ping') {
        socket.write(encodePing(f.id));
      } else if (f.type === 'goAway') {
        finish();
      }
    }
  };
  socket.on('data', onData);
  socket.on('close', finish);
  socket.on('error', finish);
  if (head.length) onData(head);
  if (io.stdin && stdinId !== undefined) {
    io.stdin.on('data', onStdin);
    io.stdin.once('end', onStdinEnd);
  }
  return {
    done,
    resize(width: number, height: number) {
      if (resizeId !== undefined) send(resizeId, Buffer.from(JSON.stringify({ Width: width, Height: height })), false);
    },
    close() {
      finish();
    },
  };
}
