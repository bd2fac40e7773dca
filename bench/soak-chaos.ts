import type { SoakOptions } from './soak-money.js';
export async function chaosSoak(o: SoakOptions): Promise<void> {
  throw new Error(`not yet ${o.minutes}`);
}
