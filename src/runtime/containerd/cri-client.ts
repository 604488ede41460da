// A thin CRI runtime.v1 client over a unix socket: loads the project's own cri.proto with @grpc/proto-loader
// and exposes each RPC as a promise. It knows nothing about Skiff's Runtime shapes (cri-mapping.ts does the
// translation) and keeps no state beyond the two gRPC channels. Errors keep their gRPC code (`CriError.code`)
// so callers can tell NOT_FOUND from a real failure.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type * as T from './cri-types.js';

const protoPath = fileURLToPath(new URL('./cri.proto', import.meta.url));

let loaded: grpc.GrpcObject | undefined;
function definitions(): grpc.GrpcObject {
  if (!loaded) {
    const def = protoLoader.loadSync(protoPath, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
    loaded = grpc.loadPackageDefinition(def);
  }
  return loaded;
}

export class CriError extends Error {
  override name = 'CriError';
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    readonly details: string,
  ) {
    // The form the kubelet shows in events ("rpc error: code = NotFound desc = ..."), Go's code names.
    super(`rpc error: code = ${goCodeName(code)} desc = ${details}`);
  }
  get notFound(): boolean {
    return this.code === grpc.status.NOT_FOUND;
  }
}

/** grpc-go's name of a status code: NOT_FOUND → NotFound. */
export function goCodeName(code: grpc.status): string {
  const name = grpc.status[code];
  if (!name) return `Code(${code})`;
  if (name === 'OK') return 'OK';
  return name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
}

type Unary = (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

/** Default deadline of a call; pulls and stops get their own (see CriClient callers). */
const defaultTimeoutMs = 60_000;

export class CriClient {
  private readonly runtimeStub: grpc.Client;
  private readonly imageStub: grpc.Client;

  constructor(readonly socket: string) {
    const pkg = (definitions().runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const address = `unix://${socket}`;
    const opts: grpc.ChannelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    const RuntimeService = pkg.RuntimeService as grpc.ServiceClientConstructor;
    const ImageService = pkg.ImageService as grpc.ServiceClientConstructor;
    this.runtimeStub = new RuntimeService(address, grpc.credentials.createInsecure(), opts);
    this.imageStub = new ImageService(address, grpc.credentials.createInsecure(), opts);
  }

  private call<Res>(stub: grpc.Client, method: string, req: object, timeoutMs = defaultTimeoutMs): Promise<Res> {
    const fn = (stub as unknown as Record<string, Unary>)[method]!.bind(stub);
    return new Promise((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(new CriError(method, err.code, err.details));
        else resolve(res as Res);
      });
    });
  }

  // RuntimeService
  version(): Promise<T.VersionResponse> {
    return this.call(this.runtimeStub, 'Version', { version: 'v1' });
  }
  status(): Promise<T.StatusResponse> {
    return this.call(this.runtimeStub, 'Status', {});
  }
  runPodSandbox(config: T.PodSandboxConfig): Promise<{ podSandboxId: string }> {
    return this.call(this.runtimeStub, 'RunPodSandbox', { config }, 4 * 60_000);
  }
  stopPodSandbox(podSandboxId: string): Promise<object> {
    return this.call(this.runtimeStub, 'StopPodSandbox', { podSandboxId }, 4 * 60_000);
  }
  removePodSandbox(podSandboxId: string): Promise<object> {
    return this.call(this.runtimeStub, 'RemovePodSandbox', { podSandboxId }, 4 * 60_000);
  }
  podSandboxStatus(podSandboxId: string, verbose = false): Promise<T.PodSandboxStatusResponse> {
    return this.call(this.runtimeStub, 'PodSandboxStatus', { podSandboxId, verbose });
  }
  listPodSandbox(filter: T.PodSandboxFilter = {}): Promise<{ items: T.PodSandbox[] }> {
    return this.call(this.runtimeStub, 'ListPodSandbox', { filter });
  }
  createContainer(podSandboxId: string, config: T.ContainerConfig, sandboxConfig: T.PodSandboxConfig): Promise<{ containerId: string }> {
    return this.call(this.runtimeStub, 'CreateContainer', { podSandboxId, config, sandboxConfig }, 4 * 60_000);
  }
  startContainer(containerId: string): Promise<object> {
    return this.call(this.runtimeStub, 'StartContainer', { containerId }, 4 * 60_000);
  }
  stopContainer(containerId: string, timeoutSeconds: number): Promise<object> {
    return this.call(this.runtimeStub, 'StopContainer', { containerId, timeout: timeoutSeconds }, (timeoutSeconds + 60) * 1000);
  }
  removeContainer(containerId: string): Promise<object> {
    return this.call(this.runtimeStub, 'RemoveContainer', { containerId }, 4 * 60_000);
  }
  listContainers(filter: T.ContainerFilter = {}): Promise<{ containers: T.Container[] }> {
    return this.call(this.runtimeStub, 'ListContainers', { filter });
  }
  containerStatus(containerId: string, verbose = false): Promise<T.ContainerStatusResponse> {
    return this.call(this.runtimeStub, 'ContainerStatus', { containerId, verbose });
  }
  reopenContainerLog(containerId: string): Promise<object> {
    return this.call(this.runtimeStub, 'ReopenContainerLog', { containerId });
  }
  execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<T.ExecSyncResponse> {
    return this.call(this.runtimeStub, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, (timeoutSeconds || 3600) * 1000 + 10_000);
  }
  exec(req: T.ExecRequest): Promise<{ url: string }> {
    return this.call(this.runtimeStub, 'Exec', req);
  }
  attach(req: T.AttachRequest): Promise<{ url: string }> {
    return this.call(this.runtimeStub, 'Attach', req);
  }
  portForward(podSandboxId: string, ports: number[]): Promise<{ url: string }> {
    return this.call(this.runtimeStub, 'PortForward', { podSandboxId, port: ports });
  }
  containerStats(containerId: string): Promise<{ stats: T.ContainerStats | null }> {
    return this.call(this.runtimeStub, 'ContainerStats', { containerId });
  }
  listContainerStats(filter: { id?: string; podSandboxId?: string } = {}): Promise<{ stats: T.ContainerStats[] }> {
    return this.call(this.runtimeStub, 'ListContainerStats', { filter });
  }

  // ImageService
  listImages(): Promise<{ images: T.Image[] }> {
    return this.call(this.imageStub, 'ListImages', { filter: {} });
  }
  imageStatus(image: string): Promise<{ image: T.Image | null }> {
    return this.call(this.imageStub, 'ImageStatus', { image: { image } });
  }
  pullImage(image: string, auth?: T.AuthConfig, timeoutMs = 30 * 60_000): Promise<{ imageRef: string }> {
    return this.call(this.imageStub, 'PullImage', { image: { image }, auth: auth ?? null }, timeoutMs);
  }
  removeImage(image: string): Promise<object> {
    return this.call(this.imageStub, 'RemoveImage', { image: { image } });
  }
  imageFsInfo(): Promise<{ imageFilesystems: T.FilesystemUsage[] }> {
    return this.call(this.imageStub, 'ImageFsInfo', {});
  }

  /** Resolves once the socket answers Version, or rejects after timeoutMs. */
  async waitReady(timeoutMs: number): Promise<T.VersionResponse> {
    const end = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < end) {
      try {
        return await this.call<T.VersionResponse>(this.runtimeStub, 'Version', { version: 'v1' }, Math.max(200, Math.min(2000, end - Date.now())));
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error(`containerd at ${this.socket} did not answer CRI within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
  }

  close(): void {
    this.runtimeStub.close();
    this.imageStub.close();
  }
}
