// A metadata-only view of the API (client-go's metadata client): an ApiClient whose reads ask the server for
// PartialObjectMetadata(List), so lists, watches and gets carry only `metadata` — what the garbage collector
// and the namespace controller need, at a fraction of the memory. Objects it returns have kind
// PartialObjectMetadata and apiVersion meta.k8s.io/v1; callers know the real resource from the request.
// It shares (and never closes) the wrapped transport. Do not use its discovery: discovery documents are not
// resources.
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { ApiClient } from './client.js';
import type { LineStream, RawResponse, RequestOptions, Transport } from './transport.js';

/** Both shapes, so a server that is strict about list vs single object still finds one it can serve. */
export const partialMetadataAccept =
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json';

/** What a metadata-only read returns. */
export interface PartialObjectMetadata {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

class MetadataTransport implements Transport {
  constructor(private readonly inner: Transport) {}

  request(method: string, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    return this.inner.request(method, path, method === 'GET' && !opts.accept ? { ...opts, accept: partialMetadataAccept } : opts);
  }

  stream(method: string, path: string, opts: RequestOptions = {}): Promise<LineStream> {
    return this.inner.stream(method, path, opts.accept ? opts : { ...opts, accept: partialMetadataAccept });
  }

  close(): void {
    // shared transport: its owner closes it
  }
}

/** An ApiClient over the same connection pool whose GETs (get, list, watch) return metadata only. */
export function metadataClientFor(client: ApiClient): ApiClient {
  return new ApiClient(new MetadataTransport(client.transport), { namespace: client.namespace });
}
