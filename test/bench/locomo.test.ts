import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadLocomo, parseLocomoDate, plainBm25Rankings, scoreQuestion } from '../../bench/support/locomo';

describe('LoCoMo support of the recall benchmark', () => {
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'locomo-'));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('reads session dates as UTC times', () => {
    expect(parseLocomoDate('1:56 pm on 8 May, 2023')).toBe('2023-05-08T13:56:00.000Z');
    expect(parseLocomoDate('12:09 am on 13 September, 2023')).toBe('2023-09-13T00:09:00.000Z');
    expect(parseLocomoDate('sometime')).toBeUndefined();
  });

  it('turns conversations into import records and questions, leaving out category 5 and questions without evidence', () => {
    const file = path.join(folder, 'sample.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          sample_id: 'conv-1',
          conversation: {
            speaker_a: 'Ana',
            speaker_b: 'Ben',
            session_2_date_time: '10:00 am on 2 June, 2023',
            session_2: [{ speaker: 'Ben', dia_id: 'D2:1', text: 'Back from Lisbon.' }],
            session_1_date_time: '1:56 pm on 8 May, 2023',
            session_1: [
              { speaker: 'Ana', dia_id: 'D1:1', text: 'We adopted a greyhound.', blip_caption: 'a photo of a dog' },
              { speaker: 'Ben', dia_id: 'D1:2', text: 'Lovely!' },
            ],
          },
          qa: [
            { question: 'What did Ana adopt?', answer: 'a greyhound', evidence: ['D1:1'], category: 4 },
            { question: 'Trick question', answer: '', evidence: ['D1:2'], category: 5 },
            { question: 'No evidence', answer: '', evidence: [], category: 1 },
          ],
        },
      ]),
    );
    const [conversation] = loadLocomo(file);
    expect(conversation?.records).toEqual([
      {
        id: 'conv-1/D1:1',
        text: 'We adopted a greyhound.',
        session: 'conv-1/session_1',
        time: '2023-05-08T13:56:00.000Z',
        meta: { speaker: 'Ana', photo: 'a photo of a dog' },
      },
      {
        id: 'conv-1/D1:2',
        text: 'Lovely!',
        session: 'conv-1/session_1',
        time: '2023-05-08T13:56:00.000Z',
        meta: { speaker: 'Ben' },
      },
      {
        id: 'conv-1/D2:1',
        text: 'Back from Lisbon.',
        session: 'conv-1/session_2',
        time: '2023-06-02T10:00:00.000Z',
        meta: { speaker: 'Ben' },
      },
    ]);
    expect(conversation?.questions).toEqual([
      { id: 'conv-1/q0', query: 'What did Ana adopt?', category: 4, evidence: ['conv-1/D1:1'] },
    ]);
  });

  it('names the file when it is not LoCoMo data', () => {
    const file = path.join(folder, 'bad.json');
    writeFileSync(file, '{"not": "a list"}');
    expect(() => loadLocomo(file)).toThrow(/bad\.json is not LoCoMo data/);
    expect(() => loadLocomo(path.join(folder, 'missing.json'))).toThrow(/cannot read LoCoMo data from/);
  });

  it('scores recall at 5, 10 and 25 and hit@10', () => {
    const ranked = Array.from({ length: 30 }, (_, index) => `t${index}`);
    expect(scoreQuestion(ranked, ['t0', 't7', 't20', 'missing'])).toEqual({
      recallAt5: 0.25,
      recallAt10: 0.5,
      recallAt25: 0.75,
      hitAt10: 1,
    });
    expect(scoreQuestion(ranked, ['t12'])).toMatchObject({ recallAt10: 0, hitAt10: 0, recallAt25: 1 });
  });

  it('ranks by plain BM25, and with neighbours finds a turn by what its session neighbours say', () => {
    const records = [
      { id: 'a', text: 'We adopted a greyhound.', session: 's1', meta: {} },
      { id: 'b', text: 'She sleeps all day.', session: 's1', meta: {} },
      { id: 'c', text: 'The greyhound races were loud.', session: 's2', meta: {} },
    ];
    expect(plainBm25Rankings(records, ['greyhound sleeps'])).toEqual([['b', 'a', 'c']]);
    const [plain] = plainBm25Rankings(records, ['adopted']);
    expect(plain).toEqual(['a']);
    const [withNeighbours] = plainBm25Rankings(records, ['adopted'], { neighbours: true });
    // b shares a session with a; c does not.
    expect(withNeighbours).toEqual(['a', 'b']);
  });
});
