import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';

/** Temporal's levels, least severe first. */
const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** The least severe level a {@link quietLogger} still prints, or `OFF` for nothing at all. */
export type QuietLevel = LogLevel | 'OFF';

/**
 * The one quiet Temporal `Logger`, for the workflow bundler, `MockActivityEnvironment`,
 * replayers and workers in tests and benchmarks: it drops entries below `least` and writes
 * the rest to the console (errors with `console.error`, the others with `console.warn`, so
 * stdout stays free for a command's output).
 *
 * @param least `WARN`: warnings and errors; `ERROR`: errors only; `OFF`: nothing. @default 'WARN'
 */
export function quietLogger(least: QuietLevel = 'WARN'): Logger {
  const threshold = least === 'OFF' ? LEVELS.length : LEVELS.indexOf(least);
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (LEVELS.indexOf(level) < threshold) return;
    const write = level === 'ERROR' ? console.error : console.warn;
    if (meta === undefined) write(message);
    else write(message, meta);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
