import { temporalCues, temporalMatch } from '../../src/memory/temporal-cues';

const NOW = new Date('2023-10-20T12:00:00Z');
const at = (iso: string) => new Date(iso).getTime();

function periods(query: string): Array<[string, string, string]> {
  return temporalCues(query, NOW).map((cue) =>
    cue.kind === 'period'
      ? [cue.text, new Date(cue.start).toISOString().slice(0, 10), new Date(cue.end).toISOString().slice(0, 10)]
      : [cue.text, `month ${cue.month}`, ''],
  );
}

describe('temporalCues', () => {
  it('reads dates, months and years in the usual English forms', () => {
    expect(periods('What did she show on October 13, 2023?')).toEqual([
      ['october 13, 2023', '2023-10-13', '2023-10-14'],
    ]);
    expect(periods('What did Gina find on 1 February, 2023?')).toEqual([
      ['1 february, 2023', '2023-02-01', '2023-02-02'],
    ]);
    expect(periods('Which class did she start in December 2023?')).toEqual([
      ['december 2023', '2023-12-01', '2024-01-01'],
    ]);
    expect(periods('Where did they go camping in June?')).toEqual([['in june', 'month 5', '']]);
    expect(periods('How often did she swim in 2022?')).toEqual([['in 2022', '2022-01-01', '2023-01-01']]);
  });

  it('resolves relative cues against now', () => {
    expect(periods('Where did he travel last year?')).toEqual([['last year', '2022-01-01', '2023-01-01']]);
    expect(periods('What happened yesterday?')).toEqual([['yesterday', '2023-10-19', '2023-10-20']]);
    expect(periods('Where did she live 4 years ago?')).toEqual([['4 years ago', '2019-04-20', '2020-04-20']]);
    expect(periods('What did she bake two weeks ago?')).toEqual([['two weeks ago', '2023-10-02', '2023-10-10']]);
  });

  it('finds nothing in a question without a time, and does not take "may" the verb for the month', () => {
    expect(temporalCues('What does Caroline research?', NOW)).toEqual([]);
    expect(temporalCues('May I ask what you painted?', NOW)).toEqual([]);
  });
});

describe('temporalMatch', () => {
  const [december] = temporalCues('in December 2023', NOW);
  const [june] = temporalCues('in June', NOW);

  it('is 1 within the period, 0.5 shortly after it, 0 before or long after', () => {
    expect(temporalMatch([december!], at('2023-12-15T00:00:00Z'))).toBe(1);
    expect(temporalMatch([december!], at('2024-01-20T00:00:00Z'))).toBe(0.5);
    expect(temporalMatch([december!], at('2023-11-30T00:00:00Z'))).toBe(0);
    expect(temporalMatch([december!], at('2024-06-01T00:00:00Z'))).toBe(0);
  });

  it('matches a month of any year, and the month after it by half', () => {
    expect(temporalMatch([june!], at('2021-06-03T00:00:00Z'))).toBe(1);
    expect(temporalMatch([june!], at('2022-07-10T00:00:00Z'))).toBe(0.5);
    expect(temporalMatch([june!], at('2022-05-10T00:00:00Z'))).toBe(0);
  });

  it('is 0 for a memory without a time', () => {
    expect(temporalMatch([december!], Number.NaN)).toBe(0);
  });
});
