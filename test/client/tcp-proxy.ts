// A loopback TCP proxy for fault injection in client tests: cut every open connection at once (as a
// crashed server or broken network would), refuse new ones for a while, or point at another backend port.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  url: string;
  port: number;
  /** Destroys every proxied connection abruptly. */
  cutAll(): void;
  /** While refusing, new connections are closed immediately. */
  refuse(on: boolean): void;
  retarget(port: number): void;
  connections(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let target = targetPort;
  let refusing = false;
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    cutAll: () => {
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    refuse: (on) => {
      refusing = on;
    },
    retarget: (p) => {
      target = p;
    },
    connections: () => open.size / 2,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
