// Types of portmap-chains.mjs (the test command runs as plain JavaScript before anything is built).
export function splitRule(line: string): string[];
export function removalPlan(rules: string): string[][];
export function portmapChainsPresent(): Record<4 | 6, boolean>;
export function removeNewPortmapChains(before: Record<4 | 6, boolean>): string[];
