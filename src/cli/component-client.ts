// The API client of the control plane's own components (controllers, scheduler, simulated nodes), on the
// server's thread or in a component worker thread: requests and watches in process (straight into the server's
// request handling, or through a MessagePort to it), what needs a connection over the server's unix socket (or
// its HTTPS loopback).
import { ApiClient } from '../client/client.js';
import { HttpsTransport } from '../client/transport.js';
import { InProcessTransport, type InProcessEndpoint } from '../client/in-process-transport.js';

/** How a component connects to its server when not in process (plain data: it crosses to worker threads). */
export interface ComponentConnection {
  /** Loopback URL of the local API server (covered by its certificate). */
  url: string;
  /** The server's local unix socket: used instead of the HTTPS loopback when given. */
  socketPath?: string;
  ca: string;
  cert: string;
  key: string;
}

export const componentUserAgent = 'skiff-control-plane';

export function componentClient(conn: ComponentConnection, inProcess: InProcessEndpoint | undefined): ApiClient {
  const userAgent = componentUserAgent;
  const http = new HttpsTransport(
    conn.socketPath
      ? { servers: ['http://localhost'], socketPath: conn.socketPath, namespace: 'default', userAgent }
      : { servers: [conn.url], ca: conn.ca, cert: conn.cert, key: conn.key, namespace: 'default', userAgent },
    // The garbage collector alone keeps one watch per resource type open.
    { maxSockets: 200 },
  );
  return new ApiClient(inProcess ? new InProcessTransport(inProcess, http, { userAgent }) : http, { namespace: 'default' });
}
