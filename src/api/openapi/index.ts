// Public entry of the OpenAPI document builders (v3 root + per group version, v2). The server calls these
// per request; they are memoized by schema-registry generation and the served resource set.
export { buildOpenApiV3Root, buildOpenApiV3Group, servedGroupVersions, hashOf } from './v3.js';
export { buildOpenApiV2 } from './v2.js';
export type { Document } from './components.js';
export { OPENAPI_INFO } from './components.js';
