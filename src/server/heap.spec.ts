import { describe, expect, it } from 'vitest';
import { heapGrowthGiven, tuneHeap } from './heap.js';

describe('tuneHeap', () => {
  it("leaves the operator's own growth factor alone, in node's flags or NODE_OPTIONS", () => {
    expect(heapGrowthGiven(['--heap-growing-percent=80'])).toBe(true);
    expect(heapGrowthGiven(['--max-semi-space-size=8', '--heap_growing_percent=30'])).toBe(true);
    expect(tuneHeap(['--heap-growing-percent=80'])).toBe(false);
  });

  it('sets its own when none was given', () => {
    expect(heapGrowthGiven(['--max-semi-space-size=8', '--enable-source-maps', ''])).toBe(false);
    expect(tuneHeap([])).toBe(true);
  });
});
