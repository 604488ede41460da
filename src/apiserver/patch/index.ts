// The patch package's public surface for the PATCH/CREATE/UPDATE handlers: the four patch flavours and the
// managedFields bookkeeping. Re-exports only; no logic here.
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge.js';
export { serverSideApply, LAST_APPLIED_ANNOTATION, type ServerSideApplyParams } from './apply.js';
export { recordUpdate, decodeManagedFields, encodeManagedFields, type RecordUpdateParams } from './managed-fields.js';
export {
  FieldSet,
  fieldSetFromObject,
  fieldPE,
  keyPE,
  valuePE,
  indexPE,
  pathToString,
  type FieldPath,
  type PathElement,
} from './field-set.js';
