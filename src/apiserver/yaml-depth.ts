// How deep a YAML body nests, measured on the yaml library's concrete syntax tree, which its parser builds
// with an explicit stack. The tree-building step that follows (composing documents) recurses once per level:
// a hostile body thousands of levels deep would exhaust the stack there, and when that happens while V8
// compiles one of the library's regular expressions the process aborts instead of throwing. So depth is
// checked first, without recursion.
import { Parser } from 'yaml';

const collections = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Whether any collection in `text` lies more than `max` collections deep. */
export function yamlNestingExceeds(text: string, max: number): boolean {
  const stack: [unknown, number][] = [];
  for (const token of new Parser().parse(text)) stack.push([token, 0]);
  while (stack.length) {
    const [node, outer] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      for (const child of node) stack.push([child, outer]);
      continue;
    }
    const type = (node as { type?: unknown }).type;
    const depth = typeof type === 'string' && collections.has(type) ? outer + 1 : outer;
    if (depth > max) return true;
    for (const key in node) {
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push([child, depth]);
    }
  }
  return false;
}
