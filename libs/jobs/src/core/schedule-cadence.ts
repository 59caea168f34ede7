import { CronTime } from 'cron';
import { InvalidJobOptionsError } from '../errors';

/** Shortest fixed interval of a schedule: cron's precision, one second. */
export const MIN_INTERVAL_MS = 1_000;
/** Longest fixed interval: a year. */
export const MAX_INTERVAL_MS = 366 * 24 * 60 * 60_000;
/** Searches from the repeated hour of a fall back; one is enough, the rest is a safety bound. */
const MAX_FALL_BACK_STEPS = 5;
/** The most days each month has (February in a leap year: one comes within the cron package's
 * eight-year search horizon). */
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** What a schedule's ticks follow: a cron expression in a time zone, or a fixed interval. */
export type CadenceSpec = { cron: string; timeZone: string } | { intervalMs: number };

/**
 * The ticks of a schedule. Cron expressions are read by the `cron` package, the one
 * `@nestjs/schedule` uses, so an expression (and every `CronExpression` value) means what `@Cron`
 * means: five fields, or six with seconds first, and the `@daily`-style aliases. Daylight saving
 * time, in the schedule's zone:
 * - a local time that does not exist (spring forward) runs at the first instant after the gap
 *   (02:30 on the night Paris goes from 02:00 to 03:00 runs at 03:00);
 * - a local time that happens twice (fall back) runs once, the first time: a tick whose wall-clock
 *   time is not later than the previous tick's is passed over.
 * Fixed intervals are aligned on the Unix epoch (every 60 s is at :00 of each minute), so every node
 * computes the same ticks, and no time zone applies to them.
 */
export class Cadence {
  private readonly cron?: CronTime;
  private readonly wall?: Intl.DateTimeFormat;

  private constructor(readonly spec: CadenceSpec) {
    if ('cron' in spec) {
      this.cron = new CronTime(spec.cron, spec.timeZone);
      this.wall = new Intl.DateTimeFormat('en-US', {
        timeZone: spec.timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    }
  }

  /** Checks the spec (naming the field at fault) and returns its cadence. */
  static of(spec: CadenceSpec): Cadence {
    if ('intervalMs' in spec) {
      const ms = spec.intervalMs;
      if (!Number.isInteger(ms) || ms < MIN_INTERVAL_MS || ms > MAX_INTERVAL_MS) {
        throw new InvalidJobOptionsError(
          'intervalMs',
          `must be an integer from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS} (milliseconds)`,
        );
      }
      return new Cadence({ intervalMs: ms });
    }
    const { cron, timeZone } = spec;
    if (typeof cron !== 'string' || cron.trim() === '' || cron.length > 200) {
      throw new InvalidJobOptionsError('cron', 'must be a cron expression of 5 or 6 fields (1-200 characters)');
    }
    checkTimeZone(timeZone);
    const fields = cron.trim().split(/\s+/).length;
    if (!cron.trim().startsWith('@') && fields !== 5 && fields !== 6) {
      throw new InvalidJobOptionsError('cron', `must have 5 fields, or 6 with seconds first; got ${fields}`);
    }
    let cadence: Cadence;
    try {
      cadence = new Cadence({ cron: cron.trim(), timeZone });
      // The cron package finds "never" by scanning eight years day by day (up to 0.3 s of CPU
      // for 31 February, April, June...): refuse the days no month has before searching.
      if (!anyDayMatches(cadence.cron!)) {
        throw new InvalidJobOptionsError('cron', `"${cron}" never matches: no month it names has the days it names`);
      }
      // An expression that parses may still never match (30 February): find one tick to be sure.
      cadence.next(new Date());
    } catch (err) {
      if (err instanceof InvalidJobOptionsError) throw err;
      const reason = (err as Error).message.split('\n')[0].trim();
      throw new InvalidJobOptionsError('cron', `"${cron}" is not a valid cron expression (${reason})`);
    }
    return cadence;
  }

  /**
   * The shortest time between two ticks, in ms (for the `minScheduleIntervalMs` limit). For a cron
   * expression: the smallest gap within its finest field that has more than one value, counting
   * the wrap to the next minute, hour or day when the coarser field has two consecutive values
   * (on the safe side: it may count a wrap that the other fields never reach). A day or more: a day.
   */
  shortestGapMs(): number {
    if (!this.cron) return (this.spec as { intervalMs: number }).intervalMs;
    const fields = this.cron as unknown as Partial<Record<'second' | 'minute' | 'hour', Record<string, unknown>>>;
    const units: Array<[Record<string, unknown> | undefined, number, number]> = [
      [fields.second, 60, 1_000],
      [fields.minute, 60, 60_000],
      [fields.hour, 24, 3_600_000],
    ];
    for (let i = 0; i < units.length; i++) {
      const [set, size, ms] = units[i];
      if (!set) return MIN_INTERVAL_MS; // unreadable fields: assume the finest
      const values = Object.keys(set)
        .map(Number)
        .sort((a, b) => a - b);
      const coarser = units[i + 1]?.[0];
      const wraps = !coarser || Object.keys(coarser).some((v) => `${(Number(v) + 1) % units[i + 1][1]}` in coarser);
      let gap = wraps ? values[0] + size - values[values.length - 1] : Infinity;
      for (let j = 1; j < values.length; j++) gap = Math.min(gap, values[j] - values[j - 1]);
      if (gap !== Infinity) return gap * ms;
    }
    return 24 * 3_600_000;
  }

  /** The first tick strictly after `after`. */
  next(after: Date): Date {
    if (!this.cron) {
      const ms = (this.spec as { intervalMs: number }).intervalMs;
      return new Date((Math.floor(after.getTime() / ms) + 1) * ms);
    }
    const { cron, timeZone } = this.spec as { cron: string; timeZone: string };
    const floor = this.wallClock(after);
    let candidate = this.cron.getNextDateFrom(after, timeZone);
    // Fall back: the wall clock goes back an hour, and the cron package would run the repeated
    // local times again. A tick whose local time is not after `after`'s has already run: search
    // again from the instant of the repeated hour whose wall clock is `after`'s, in one step
    // rather than tick by tick (an every-second cron would take 3,600 steps, a second of CPU).
    for (let i = 0; i < MAX_FALL_BACK_STEPS; i++) {
      const gap = floor - (candidate.toMillis() + candidate.offset * 60_000);
      if (gap < 0) return candidate.toJSDate();
      candidate = this.cron.getNextDateFrom(new Date(candidate.toMillis() + gap), timeZone);
    }
    throw new InvalidJobOptionsError('cron', `"${cron}" has no tick after ${after.toISOString()}`);
  }

  /** The instant's local time in the schedule's zone, as if that wall clock were UTC (ms). */
  private wallClock(at: Date): number {
    const parts: Record<string, number> = {};
    for (const p of this.wall!.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
    const utc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return utc + at.getUTCMilliseconds();
  }
}

/**
 * Whether some calendar day matches the expression's day and month fields, read as the cron
 * package matches them: a day-of-week restriction matches some day of every month (alone, or in
 * OR with a day-of-month restriction), so only a day-of-month restriction with every day of the
 * week can name days that never come. The parsed fields are read structurally (they are the
 * package's private state); if they cannot be read, the answer is yes and the search decides.
 */
function anyDayMatches(time: CronTime): boolean {
  const parsed = time as unknown as Partial<Record<'dayOfMonth' | 'month' | 'dayOfWeek', Record<string, unknown>>>;
  const { dayOfMonth, month, dayOfWeek } = parsed;
  if (!dayOfMonth || !month || !dayOfWeek) return true;
  if (Object.keys(dayOfWeek).length !== 7 || Object.keys(dayOfMonth).length === 31) return true;
  const firstDay = Math.min(...Object.keys(dayOfMonth).map(Number));
  return Object.keys(month).some((m) => firstDay <= (DAYS_IN_MONTH[Number(m) - 1] ?? 0));
}

/** An IANA time zone name (`Europe/Paris`, `UTC`), as the `cron` package and `Intl` know it. */
export function checkTimeZone(timeZone: unknown): string {
  if (typeof timeZone !== 'string' || timeZone.length === 0 || timeZone.length > 64) {
    throw new InvalidJobOptionsError('timeZone', 'must be an IANA time zone name such as "Europe/Paris" or "UTC"');
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    new CronTime('0 0 * * *', timeZone);
  } catch {
    throw new InvalidJobOptionsError('timeZone', `"${timeZone}" is not a known IANA time zone`);
  }
  return timeZone;
}
