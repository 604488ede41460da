// The process runtime (host process groups; isolated with namespaces, CNI and cgroups as root).
export { ProcessRuntime, cannotRunImageMessage, RuntimeNotFoundError, type ProcessRuntimeOptions } from './process-runtime.js';
