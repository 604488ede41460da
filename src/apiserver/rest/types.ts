// The request and response shapes the REST handlers share, and the dependencies they are given. The HTTP
// layer (server.ts) builds a RestRequest and renders a RestResponse; handlers never touch sockets.
import type { ResourceType } from '../../api/resource.js';
import type { KubeObject } from '../../api/types.js';
import type { ResourceRequestInfo } from '../request-info.js';
import type { UserInfo } from '../auth/authn.js';
import type { ObjectStorage } from '../object-storage.js';
import type { ResourceRegistry } from '../resource-registry.js';
import type { SchemaRegistry } from '../../api/schema/registry.js';
import type { Admission } from '../admission/admission.js';

export interface RestRequest {
  rt: ResourceType;
  info: ResourceRequestInfo;
  query: URLSearchParams;
  user: UserInfo;
  /** Decoded request body (JSON/YAML/protobuf → plain value); undefined when there was none. */
  body?: unknown;
  contentType?: string;
  userAgent?: string;
}

export interface RestResponse {
  status: number;
  /** A served object, a list, or a Status. */
  object: unknown;
  warnings?: string[];
}

export interface RestDeps {
  registry: ResourceRegistry;
  storage: ObjectStorage;
  schemas: SchemaRegistry;
  admission: Admission;
}

export type ListObject = {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: KubeObject[];
};
