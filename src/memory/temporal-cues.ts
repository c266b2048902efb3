/**
 * Time references in a query ("in May", "on October 13, 2023", "last year", "3 weeks ago")
 * turned into periods, and how well a memory's time matches them. A memory is usually told
 * on or after what it tells about, so a memory dated within a period matches fully and
 * one dated shortly after it matches half.
 */

const DAY = 86_400_000;

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const MONTH_PATTERN = `(${MONTH_NAMES.join('|')}|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\\.?`;
const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30.44, year: 365.25 };
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  few: 3,
  couple: 2,
};

/** A period a query refers to: absolute bounds (UTC ms), or a month of any year. */
export type TemporalCue =
  { kind: 'period'; start: number; end: number; text: string } | { kind: 'month'; month: number; text: string };

function monthIndex(name: string): number {
  const prefix = name.toLowerCase().replace('.', '').slice(0, 3);
  return MONTH_NAMES.findIndex((month) => month.startsWith(prefix));
}

function utc(year: number, month: number, day = 1): number {
  return Date.UTC(year, month, day);
}

/**
 * The time references of a query. Relative ones ("last year", "two weeks ago",
 * "yesterday") are resolved against `now`.
 */
export function temporalCues(query: string, now: Date): TemporalCue[] {
  const text = query.toLowerCase();
  const cues: TemporalCue[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (start: number, end: number) => taken.some(([from, to]) => start < to && end > from);
  const claim = (match: RegExpExecArray) => taken.push([match.index, match.index + match[0].length]);
  const each = (pattern: string, handle: (match: RegExpExecArray) => TemporalCue | undefined) => {
    const expression = new RegExp(`\\b${pattern}\\b`, 'g');
    for (let match = expression.exec(text); match !== null; match = expression.exec(text)) {
      if (overlaps(match.index, match.index + match[0].length)) continue;
      const cue = handle(match);
      if (cue === undefined) continue;
      cues.push(cue);
      claim(match);
    }
  };
  const day = (year: number, month: number, date: number, matched: string): TemporalCue | undefined =>
    month < 0 || date < 1 || date > 31
      ? undefined
      : { kind: 'period', start: utc(year, month, date), end: utc(year, month, date + 1), text: matched };

  // "October 13, 2023", "13 October 2023", "1 February, 2023"
  each(`${MONTH_PATTERN}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+((?:19|20)\\d{2})`, (match) =>
    day(Number(match[3]), monthIndex(match[1] as string), Number(match[2]), match[0]),
  );
  each(`(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH_PATTERN},?\\s+((?:19|20)\\d{2})`, (match) =>
    day(Number(match[3]), monthIndex(match[2] as string), Number(match[1]), match[0]),
  );
  // "December 2023"
  each(`${MONTH_PATTERN},?\\s+((?:19|20)\\d{2})`, (match) => {
    const month = monthIndex(match[1] as string);
    const year = Number(match[2]);
    return { kind: 'period', start: utc(year, month), end: utc(year, month + 1), text: match[0] };
  });
  // "in June" (full month names only: "may" and "march" are also common words)
  each(`(?:in|during|since|early|late|mid)\\s+(${MONTH_NAMES.join('|')})`, (match) => ({
    kind: 'month',
    month: monthIndex(match[1] as string),
    text: match[0],
  }));
  // "in 2022"
  each(`(?:in|during|since|of)\\s+((?:19|20)\\d{2})`, (match) => {
    const year = Number(match[1]);
    return { kind: 'period', start: utc(year, 0), end: utc(year + 1, 0), text: match[0] };
  });

  const today = utc(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  each('yesterday', (match) => ({ kind: 'period', start: today - DAY, end: today, text: match[0] }));
  each('(last|this|past)\\s+(week|weekend|month|year)', (match) => {
    const which = match[1] as string;
    const unit = match[2] as string;
    const year = now.getUTCFullYear();
    const month = now.getUTCMonth();
    if (unit === 'year') {
      return which === 'this'
        ? { kind: 'period', start: utc(year, 0), end: utc(year + 1, 0), text: match[0] }
        : { kind: 'period', start: utc(year - 1, 0), end: utc(year, 0), text: match[0] };
    }
    if (unit === 'month') {
      return which === 'this'
        ? { kind: 'period', start: utc(year, month), end: utc(year, month + 1), text: match[0] }
        : { kind: 'period', start: utc(year, month - 1), end: utc(year, month), text: match[0] };
    }
    return which === 'this'
      ? { kind: 'period', start: today - 7 * DAY, end: today + DAY, text: match[0] }
      : { kind: 'period', start: today - 14 * DAY, end: today - 6 * DAY, text: match[0] };
  });
  each(`(\\d+|${Object.keys(NUMBER_WORDS).join('|')})\\s+(day|week|month|year)s?\\s+ago`, (match) => {
    const count = /^\d+$/.test(match[1] as string) ? Number(match[1]) : (NUMBER_WORDS[match[1] as string] ?? 1);
    const span = (UNIT_DAYS[match[2] as string] as number) * DAY;
    const center = today - count * span;
    // "two years ago" is vague by about one unit either way.
    return { kind: 'period', start: center - span / 2, end: center + span / 2 + DAY, text: match[0] };
  });
  return cues;
}

/** How long after a period a memory still half-matches: what is told about a time is often told a little later. */
function slack(cue: TemporalCue): number {
  if (cue.kind === 'month') return 31 * DAY;
  const length = cue.end - cue.start;
  return Math.min(Math.max(7 * DAY, length), 90 * DAY);
}

/**
 * How well a memory's time matches the cues: 1 within a period, 0.5 shortly after it
 * (within the period's length, at least a week and at most a quarter), else 0; the best
 * over all cues.
 */
export function temporalMatch(cues: readonly TemporalCue[], time: number): number {
  if (!Number.isFinite(time)) return 0;
  let best = 0;
  for (const cue of cues) {
    if (cue.kind === 'month') {
      const month = new Date(time).getUTCMonth();
      if (month === cue.month) return 1;
      // The month after the named one.
      if ((month + 11) % 12 === cue.month) best = Math.max(best, 0.5);
      continue;
    }
    if (time >= cue.start && time < cue.end) return 1;
    if (time >= cue.end && time < cue.end + slack(cue)) best = Math.max(best, 0.5);
  }
  return best;
}
