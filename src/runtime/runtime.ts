// The Runtime contract (CRI-shaped, DESIGN.md): everything the node agent asks of a container runtime. The
// agent knows nothing about which runtime is behind it; `process` (host process groups) and `containerd`
// (CRI over its socket) implement it. Shapes follow CRI runtime.v1 where CRI has them, trimmed to what the
// agent uses, with Node streams in place of CRI's streaming-server URLs.
//
// Ownership: the agent computes every path and name (log paths, cgroup parent, volume host paths) and prepares
// volume contents; the runtime creates and destroys what it is given, and reports state. Every call is
// idempotent where CRI's is (stop/remove of something already gone succeeds).
import type { Duplex, Readable, Writable } from 'node:stream';

export type RuntimeName = 'process' | 'containerd';

export interface KeyValue {
  name: string;
  value: string;
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort?: number;
  hostIP?: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PodSandboxConfig {
  /** metadata.uid, name, namespace and the sandbox attempt (0 first, +1 on every re-creation). */
  uid: string;
  name: string;
  namespace: string;
  attempt: number;
  hostname: string;
  /** Already resolved per dnsPolicy by the agent; undefined = the host's resolv.conf. */
  dns?: DnsConfig;
  /** Lines for the pod's /etc/hosts beyond localhost and its own name (hostAliases). */
  hostAliases?: { ip: string; hostnames: string[] }[];
  portMappings: PortMapping[];
  hostNetwork: boolean;
  /** Directory for this pod's container logs: <dataDir>/pods/logs/<ns>_<name>_<uid>. Created by the agent. */
  logDirectory: string;
  /** Cgroup path relative to every controller's root, e.g. "skiff/kubepods/burstable/pod<uid>". */
  cgroupParent: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** sysctls from the pod's securityContext. */
  sysctls?: Record<string, string>;
}

export interface PodSandboxStatus {
  id: string;
  uid: string;
  name: string;
  namespace: string;
  attempt: number;
  state: 'ready' | 'notready';
  createdAtMs: number;
  /** Pod IPs; for host-network sandboxes the node's address(es). */
  ips: string[];
  network: 'pod' | 'host';
  /** Path of the network namespace (pod network only); lets the agent program DNS/proxy hooks. */
  netnsPath?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly: boolean;
  /** subPath already resolved into hostPath by the agent. */
  propagation?: 'private' | 'hostToContainer' | 'bidirectional';
}

export interface ContainerResources {
  /** CPU request in millicores (cpu.shares / cpu.weight). 0 = none. */
  cpuRequestMillis: number;
  /** CPU limit in millicores (CFS quota). undefined = unlimited. */
  cpuLimitMillis?: number;
  /** Memory limit in bytes. undefined = unlimited. */
  memoryLimitBytes?: number;
  memoryRequestBytes?: number;
}

export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { add: string[]; drop: string[] };
}

export interface ContainerConfig {
  name: string;
  /** 0 for the first start, restartCount for later ones. */
  attempt: number;
  image: string;
  /** Kubernetes `command` (entrypoint) and `args`, with $(VAR) already expanded. */
  command: string[];
  args: string[];
  workingDir?: string;
  env: KeyValue[];
  mounts: Mount[];
  /** Relative to the sandbox's logDirectory, e.g. "app/0.log"; written in CRI log format. */
  logPath: string;
  tty: boolean;
  stdin: boolean;
  stdinOnce: boolean;
  resources: ContainerResources;
  security: ContainerSecurity;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerStatus {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerState;
  image: string;
  /** Resolved image reference (digest for containerd; "process://<command>" for the process runtime). */
  imageRef: string;
  createdAtMs: number;
  startedAtMs?: number;
  finishedAtMs?: number;
  exitCode?: number;
  /** "OOMKilled", "Error", "Completed" or a runtime reason such as "ContainerCannotRun". */
  reason?: string;
  message?: string;
  /** Absolute path of the container's log file. */
  logPath: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStats {
  id: string;
  name: string;
  sandboxId: string;
  timestampMs: number;
  /** Cumulative CPU time used, nanoseconds. */
  cpuUsageCoreNanoSeconds: number;
  /** Working set (memory usage minus inactive file), bytes. */
  memoryWorkingSetBytes: number;
  memoryRssBytes?: number;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  timedOut: boolean;
}

export interface StreamOptions {
  tty: boolean;
  stdin?: Readable;
  stdout?: Writable;
  /** Ignored with tty (stderr is merged into stdout, as upstream). */
  stderr?: Writable;
}

/** A running exec or attach session. */
export interface StreamSession {
  /** Resolves when the command (exec) or the attachment (attach) ends. */
  done: Promise<{ exitCode: number }>;
  resize(width: number, height: number): void;
  /** Stops the session: closes streams, kills an exec'd command. */
  close(): void;
}

export interface RuntimeStatus {
  ready: boolean;
  networkReady: boolean;
  /** Things the node should say loudly (e.g. "pods use the host network: not root"). */
  warnings: string[];
}

export interface ImageAuth {
  username?: string;
  password?: string;
  auth?: string;
  serverAddress?: string;
  identityToken?: string;
  registryToken?: string;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
}

export interface Runtime {
  readonly name: RuntimeName;
  version(): Promise<{ runtimeName: string; runtimeVersion: string }>;
  status(): Promise<RuntimeStatus>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus | undefined>;
  /** Every sandbox this runtime holds for this node (used to adopt pods after an agent restart). */
  listPodSandboxes(): Promise<PodSandboxStatus[]>;

  /** Returns the image reference. The process runtime has no images: it resolves trivially. */
  pullImage(image: string, auth?: ImageAuth): Promise<string>;
  imageStatus(image: string): Promise<ImageInfo | undefined>;
  listImages(): Promise<ImageInfo[]>;
  removeImage(image: string): Promise<void>;

  createContainer(sandboxId: string, config: ContainerConfig, sandbox: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), SIGKILL after timeoutSeconds. Resolves when the container exited. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  containerStatus(id: string): Promise<ContainerStatus | undefined>;
  listContainers(filter?: { sandboxId?: string }): Promise<ContainerStatus[]>;
  /** Re-opens the container's log file after the agent rotated it. */
  reopenContainerLog(id: string): Promise<void>;

  execSync(id: string, cmd: string[], timeoutMs: number): Promise<ExecSyncResult>;
  exec(id: string, cmd: string[], opts: StreamOptions): Promise<StreamSession>;
  attach(id: string, opts: StreamOptions): Promise<StreamSession>;
  /** A connection to `port` on the pod's loopback/network namespace. */
  portForward(sandboxId: string, port: number): Promise<Duplex>;

  containerStats(id: string): Promise<ContainerStats | undefined>;
  listContainerStats(): Promise<ContainerStats[]>;

  /** Releases the runtime's own resources (connections, daemons it started). Never stops pods. */
  close(): Promise<void>;
}
