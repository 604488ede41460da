// Serves the OpenAPI documents (v2 and v3 root + per group-version), rebuilt only when the set of served
// resources or schemas changes (CRDs). Building lives in src/api/openapi; this only caches and looks up.
import type { SchemaRegistry } from '../api/schema/registry.js';
import { buildOpenApiV2, buildOpenApiV3Group, buildOpenApiV3Root } from '../api/openapi/index.js';
import type { ResourceRegistry } from './resource-registry.js';

export interface Doc {
  body: string;
  etag: string;
}

export class OpenApi {
  constructor(
    private readonly registry: ResourceRegistry,
    private readonly schemas: SchemaRegistry,
  ) {}

  v2(): Doc {
    return buildOpenApiV2(this.registry.all(), this.schemas);
  }

  v3Root(): Doc {
    return buildOpenApiV3Root(this.registry.all(), this.schemas);
  }

  /** gvPath like "api/v1" or "apis/apps/v1"; undefined when not served. */
  v3Group(gvPath: string): Doc | undefined {
    return buildOpenApiV3Group(this.registry.all(), this.schemas, gvPath);
  }
}
