const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION = /^(\d+)(s|m|h|d|w|mo)$/;

/** `now + duration`; months are calendar months, as in LiteLLM. */
export function addDuration(from: Date, duration: string): Date {
  const match = DURATION.exec(duration);
  if (!match) throw new Error(`invalid duration "${duration}"`);
  const amount = Number(match[1]);
  if (match[2] === 'mo') {
    // A shorter target month ends on its last day (Jan 31 + 1mo = Feb 28), as in LiteLLM; no overflow into March.
    const next = new Date(from);
    next.setUTCDate(1);
    next.setUTCMonth(next.getUTCMonth() + amount);
    const lastDay = new Date(Date.UTC(next.getUTCFullYear(), next.getUTCMonth() + 1, 0)).getUTCDate();
    next.setUTCDate(Math.min(from.getUTCDate(), lastDay));
    return next;
  }
  return new Date(from.getTime() + amount * UNIT_SECONDS[match[2]] * 1000);
}
