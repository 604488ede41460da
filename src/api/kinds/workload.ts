// Rules shared by the workload kinds (apps and batch): selector required/non-empty/matching the template,
// selector immutability and replica bounds, with upstream's messages. Pure.
import type { LabelSelector as LabelSelectorObject } from 'kubernetes-types/meta/v1.js';
import { cause, type StatusCause } from '../errors.js';
import { labelSelectorFromObject } from '../../util/label-selector.js';
import { StatusError } from '../errors.js';
import { type Loose, goLabelSelector, goStringMap, immutable, invalidRendered, selectorIsEmpty, validateLabelSelector } from './validation.js';

/** spec.selector present, non-empty, valid, and selecting the template's labels. */
export function validateSelectorAndTemplate(spec: Loose, f: string, kindNoun: string, templateKey = 'template'): StatusCause[] {
  const out: StatusCause[] = [];
  const sel = spec['selector'] as LabelSelectorObject | undefined;
  if (!sel) {
    out.push(cause.required(`${f}.selector`));
    return out;
  }
  out.push(...validateLabelSelector(sel, `${f}.selector`));
  if (selectorIsEmpty(sel)) {
    out.push(invalidRendered(`${f}.selector`, goLabelSelector(sel), `empty selector is invalid for ${kindNoun}`));
    return out;
  }
  const labels = (spec[templateKey]?.['metadata']?.['labels'] ?? {}) as Record<string, string>;
  try {
    if (!labelSelectorFromObject(sel).matches(labels)) {
      out.push(invalidRendered(`${f}.${templateKey}.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
    }
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    // invalid selector already reported above
  }
  return out;
}

export function selectorImmutable(spec: Loose, oldSpec: Loose, f: string): StatusCause[] {
  return immutable(spec['selector'], oldSpec['selector'], `${f}.selector`, goLabelSelector(spec['selector']));
}
