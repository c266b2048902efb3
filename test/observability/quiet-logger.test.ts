import { quietLogger } from '../../src/observability/quiet-logger';

function captured(run: () => void): { warn: unknown[][]; error: unknown[][] } {
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    run();
    return { warn: warn.mock.calls, error: error.mock.calls };
  } finally {
    warn.mockRestore();
    error.mockRestore();
  }
}

function everyLevel(logger: ReturnType<typeof quietLogger>): void {
  logger.trace('trace line');
  logger.debug('debug line');
  logger.info('info line');
  logger.warn('warn line', { taskQueue: 'q' });
  logger.error('error line');
  logger.log('INFO', 'info by log()');
  logger.log('ERROR', 'error by log()');
}

describe('quietLogger', () => {
  test('WARN (the default) keeps warnings and errors, with their metadata, and drops the rest', () => {
    const lines = captured(() => everyLevel(quietLogger()));
    expect(lines.warn).toEqual([['warn line', { taskQueue: 'q' }]]);
    expect(lines.error).toEqual([['error line'], ['error by log()']]);
  });

  test('ERROR keeps errors only', () => {
    const lines = captured(() => everyLevel(quietLogger('ERROR')));
    expect(lines.warn).toEqual([]);
    expect(lines.error).toEqual([['error line'], ['error by log()']]);
  });

  test('OFF prints nothing at all', () => {
    const lines = captured(() => everyLevel(quietLogger('OFF')));
    expect(lines).toEqual({ warn: [], error: [] });
  });
});
