import v8 from 'node:v8';

/** How far past what the last full GC kept V8 lets the old generation grow before the next one, in percent. */
export const HEAP_GROWING_PERCENT = 50;

/** True when the operator set the growth factor (in node's flags or NODE_OPTIONS): theirs wins. */
export function heapGrowthGiven(flags: readonly string[]): boolean {
  return flags.some((f) => /^--heap[-_]growing[-_]percent\b/.test(f));
}

/**
 * Bounds the old generation's growth between full GCs. Under load every request's objects that are
 * still alive when the young generation is scavenged move to the old one, tens of MB a second that
 * only a full GC frees; V8's default lets the old generation grow to up to 4× what the last full GC
 * kept, so a proxy with ~45 MB live sat at 260–300 MB RSS. At 1.5× it stays flat at ~175 MB; non-stream
 * requests got no dearer (CPU ×0.92), streams ~10% (BENCHMARKS.md, "Memory under load"). V8 reads it
 * at each GC, so setting it at start-up works.
 */
export function tuneHeap(flags: readonly string[] = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]): boolean {
  if (heapGrowthGiven(flags)) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
