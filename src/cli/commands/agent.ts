// `skiff agent --server URL --token TOKEN`: this machine joins a running cluster as a node: it obtains its
// credentials with the join token (printed by `skiff up`/`skiff server`), registers its Node and runs the
// pods the scheduler binds to it. Stopping the agent leaves its pods running; a restarted agent adopts them
// (as the kubelet). This module wires; the node lives in src/agent.
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { Command } from '../command.js';
import { UsageError } from '../args.js';
import { CliError } from '../errors.js';
import { runtimeOption } from '../options.js';
import { agentOptions, agentSettings, nodeConfigOf } from '../agent-options.js';
import { createProgress } from '../progress.js';

/** Connections the agent keeps to the API server: its watches (about ten) plus requests. */
const agentApiConnections = 24;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'join a cluster as a node and run the pods bound to it',
  details:
    'The server prints the exact command when it starts, e.g.\n' +
    '  skiff agent --server https://192.0.2.10:6443 --token K10...::node:...\n' +
    'Stopping the agent leaves its pods running; starting it again adopts them.',
  options: [
    { name: 'server', type: 'string', valueName: 'URL[,URL...]', description: 'the API server to join (https://HOST:PORT); several, comma-separated, for a cluster behind several servers: the agent fails over between them', env: 'SKIFF_URL' },
    { name: 'token', type: 'string', valueName: 'TOKEN', description: 'join token printed by the server', env: 'SKIFF_TOKEN' },
    { name: 'data-dir', short: 'd', type: 'string', valueName: 'DIR', description: "where the agent keeps its credentials and pods' files", default: () => join(homedir(), '.skiff-agent'), env: 'SKIFF_AGENT_DATA_DIR' },
    runtimeOption,
    ...agentOptions,
    { name: 'remove-pods-on-exit', type: 'boolean', description: 'on exit, stop and remove every pod of this node and what the runtime set up (ephemeral nodes, CI)' },
  ],
  async run(opts, ctx) {
    const server = opts.optionalString('server');
    const token = opts.optionalString('token');
    if (!server || !token) throw new UsageError('give the server to join and its join token: --server https://HOST:PORT --token TOKEN');
    if (opts.string('runtime') === 'sim') throw new UsageError('--runtime sim is for `skiff up`; an agent runs real pods (auto, process or containerd)');
    const a = agentSettings(opts);
    const dataDir = resolve(opts.string('data-dir'));
    const progress = createProgress(ctx.stderr);
    const log = (line: string) => ctx.stderr.write(`${line}\n`);
    const signalled = ctx.waitForSignal();
    const { firstReachable, parseServerList } = await import('../../client/server-list.js');
    let servers: string[];
    try {
      servers = parseServerList(server);
    } catch (e) {
      throw new UsageError(`--server: ${(e as Error).message}`);
    }
    const [{ joinCluster }, { ApiClient }, { startNode }, { primaryAddress }] = await Promise.all([
      import('../../agent/join.js'),
      import('../../client/client.js'),
      import('../../agent/node.js'),
      import('../../agent/host-facts.js'),
    ]);
    const nodeIP = a.nodeIP ?? primaryAddress();
    let creds;
    try {
      creds = await progress.step(`joining ${server}`, () => firstReachable(servers, (s) => joinCluster(s, token, a.nodeName, [nodeIP], dataDir, log)));
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    // A small connection pool (the kubelet multiplexes everything over one HTTP/2 connection): its watches
    // hold about ten sockets, requests share the rest. With the default of 100, a burst of pod starts opened
    // dozens more TLS connections (a handshake's CPU on both sides, per connection) that then sat idle in the
    // agent and the server, each holding its TLS buffers.
    const client = ApiClient.fromConfig(
      { servers, ca: creds.caCert, cert: creds.clientCert, key: creds.clientKey, namespace: 'default', userAgent: `skiff-agent/${a.nodeName}` },
      { maxSockets: agentApiConnections },
    );
    try {
      const node = await progress.step(`node ${a.nodeName}`, () =>
        startNode({
          ...nodeConfigOf(a, undefined),
          client,
          dataDir: join(dataDir, 'agent'),
          runtime: opts.string('runtime') as 'auto' | 'process' | 'containerd',
          nodeIP,
          serverHost: '0.0.0.0',
          tls: { ca: creds.caCert, cert: creds.servingCert, key: creds.servingKey },
          log,
        }).catch((e: unknown) => {
          throw new CliError(`the node did not start: ${(e as Error).message}`);
        }),
      );
      ctx.stdout.write(`skiff agent: node ${a.nodeName} is running (${node.agent.runtime.name} runtime), joined to ${server}\n`);
      const signal = await signalled;
      const removePods = opts.bool('remove-pods-on-exit');
      await progress.step(`stopping (${signal})${removePods ? ' and removing its pods' : '; pods keep running'}`, () => node.stop({ removePods }));
      return 0;
    } finally {
      client.close();
    }
  },
};
