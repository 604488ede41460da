// Port-forward over the WebSocket channel protocol (upstream kubelet's portforward/websocket.go), what client
// libraries such as @kubernetes/client-node speak: the ports come in the `ports` query; port i gets channel
// 2i for data and 2i+1 for errors; under v4.channel.k8s.io each channel's first server message is the port
// number (2 bytes, little-endian). One connection per port per WebSocket. It must not know how the pod's
// port is reached: `connect` does that.
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { channelMessage } from './channel-protocol.js';
import { parsePortHeader, type PortForwardTarget } from './port-forward.js';

export const webSocketPortForwardProtocols = ['v4.channel.k8s.io', 'channel.k8s.io'] as const;

/** The `ports` query (repeated and/or comma-separated) as port numbers, or an error message (pure). */
export function parsePortsQuery(q: URLSearchParams): number[] | string {
  const raw = q.getAll('ports').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  if (!raw.length) return 'query parameter "ports" is required';
  const ports: number[] = [];
  for (const r of raw) {
    const p = parsePortHeader(r);
    if (typeof p === 'string') return p;
    ports.push(p);
  }
  return ports;
}

/** The 2-byte little-endian port prefix v4 sends first on each channel (pure). */
export function portPrefix(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data as ArrayBuffer);
}

export function servePortForwardWebSocket(ws: WebSocket, protocol: string, ports: number[], target: PortForwardTarget): void {
  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(channelMessage(channel, data), { binary: true });
  };
  const conns: (Duplex | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const closeOne = () => {
    open--;
    if (open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  if (protocol === 'v4.channel.k8s.io') {
    ports.forEach((p, i) => {
      send(2 * i, portPrefix(p));
      send(2 * i + 1, portPrefix(p));
    });
  }
  ports.forEach((port, i) => {
    target.connect(port).then(
      (conn) => {
        conns[i] = conn;
        for (const b of pending[i]!) conn.write(b);
        pending[i] = [];
        conn.on('data', (d: Buffer) => send(2 * i, d));
        conn.on('error', (err) => send(2 * i + 1, `error forwarding port ${port} to pod ${target.describe}: ${err.message}`));
        conn.on('close', closeOne);
      },
      (err: Error) => {
        send(2 * i + 1, `error forwarding port ${port} to pod ${target.describe}: ${err.message}`);
        closeOne();
      },
    );
  });
  ws.on('message', (data, isBinary) => {
    if (!isBinary) return;
    const msg = toBuffer(data);
    if (msg.length < 1) return;
    const channel = msg[0]!;
    const i = channel >> 1;
    if (channel % 2 !== 0 || i >= ports.length) return; // clients only write data channels
    const payload = msg.subarray(1);
    const conn = conns[i];
    if (conn) conn.write(payload);
    else pending[i]!.push(Buffer.from(payload));
  });
  ws.on('close', () => conns.forEach((c) => c?.destroy()));
}
