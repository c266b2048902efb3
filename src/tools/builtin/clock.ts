import { z } from 'zod';
import { defineTool } from '../tool';
import { PermanentToolError } from '../tool-errors';

/** Where the clock reads the time; injected so tests can fix it. */
export type Now = () => Date;

/** Creates the clock tool over a time source. */
export function createClockTool(now: Now = () => new Date()) {
  return defineTool({
    name: 'clock',
    description:
      "Returns the current date and time. Use it whenever the answer depends on today's date or the time of day. " +
      'Takes an optional IANA time zone (e.g. "Europe/Paris"; default "UTC") and returns ISO-8601 UTC time, ' +
      'the local time in that zone, and the weekday.',
    input: z.object({
      timezone: z.string().min(1).max(64).optional().describe('IANA time zone name, e.g. "UTC" or "America/New_York"'),
    }),
    example: { timezone: 'UTC' },
    // Never cached: the answer changes every second.
    policy: { timeoutMs: 5_000, maximumAttempts: 2, idempotent: true, maxOutputChars: 2_000, local: true },
    async execute({ timezone }) {
      const zone = timezone ?? 'UTC';
      const instant = now();
      let local: string;
      let weekday: string;
      try {
        local = new Intl.DateTimeFormat('en-CA', {
          timeZone: zone,
          dateStyle: 'short',
          timeStyle: 'medium',
          hourCycle: 'h23',
        }).format(instant);
        weekday = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'long' }).format(instant);
      } catch {
        throw new PermanentToolError(`unknown time zone "${zone}": use an IANA name such as "UTC" or "Europe/Paris"`);
      }
      return JSON.stringify({ utc: instant.toISOString(), timezone: zone, local, weekday });
    },
  });
}
