import type { ChassisConfig } from '../src/config/load-config';
import { DEFAULT_MODEL_BREAKER_TRIGGER } from '../src/models/catalog-schema';
import { KeyedCircuitBreaker, type BreakerTrigger } from '../src/resilience/keyed-circuit-breaker';
import { printTable } from './support/table';

/**
 * `breakers`: which breaker trigger suits model calls under an error storm. Each trigger
 * runs through the project's `KeyedCircuitBreaker` (cockatiel underneath) on the same
 * sequences of calls that fail independently with a probability (a seeded generator, the
 * same every run): how often it opens per 10,000 calls at 30% and 50% errors (a model that
 * is degraded but answers most calls once retried), and after how many calls it opens when
 * 70% or 100% fail (a model that is down). After an opening the model is taken as recovered
 * (a fresh key), so the count is of separate openings. No servers: this is the breaker's
 * arithmetic, not the harness.
 */

const TRIGGERS: { name: string; trigger: BreakerTrigger }[] = [
  { name: '3 consecutive (the old model default)', trigger: { consecutiveFailures: 3 } },
  { name: '5 consecutive (the tool default)', trigger: { consecutiveFailures: 5 } },
  { name: '>50% of last 20, min 6', trigger: { failureRate: 0.5, lastCalls: 20, minimumCalls: 6 } },
  { name: '>60% of last 20, min 5 (the model default)', trigger: DEFAULT_MODEL_BREAKER_TRIGGER },
  { name: '>70% of last 20, min 5', trigger: { failureRate: 0.7, lastCalls: 20, minimumCalls: 5 } },
];

const CALLS = 10_000;

/** A small deterministic generator (linear congruential), so every run sees the same storm. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

const fail = () => Promise.reject(new Error('HTTP 500'));
const succeed = () => Promise.resolve();

async function openingsPer10k(trigger: BreakerTrigger, errorRate: number): Promise<number> {
  const breaker = new KeyedCircuitBreaker({ opensOn: trigger, coolDownMs: 30_000 });
  const random = generator(1);
  let key = 0;
  let openings = 0;
  for (let call = 0; call < CALLS; call++) {
    await breaker.execute(`model-${key}`, random() < errorRate ? fail : succeed).catch(() => undefined);
    if (breaker.state(`model-${key}`) === 'open') {
      openings++;
      key++;
    }
  }
  return openings;
}

async function callsToOpen(trigger: BreakerTrigger, errorRate: number, runs = 500): Promise<number> {
  const random = generator(7);
  let total = 0;
  for (let run = 0; run < runs; run++) {
    const breaker = new KeyedCircuitBreaker({ opensOn: trigger, coolDownMs: 30_000 });
    let calls = 0;
    while (breaker.state('model') !== 'open' && calls < 10_000) {
      calls++;
      await breaker.execute('model', random() < errorRate ? fail : succeed).catch(() => undefined);
    }
    total += calls;
  }
  return Math.round((total / runs) * 10) / 10;
}

/** One row per trigger. */
export interface BreakersBenchRow {
  trigger: string;
  opensPer10kAt30: number;
  opensPer10kAt50: number;
  callsToOpenAt70: number;
  callsToOpenAt100: number;
}

export async function run(_config: ChassisConfig): Promise<{ rows: BreakersBenchRow[] }> {
  const rows: BreakersBenchRow[] = [];
  for (const { name, trigger } of TRIGGERS) {
    rows.push({
      trigger: name,
      opensPer10kAt30: await openingsPer10k(trigger, 0.3),
      opensPer10kAt50: await openingsPer10k(trigger, 0.5),
      callsToOpenAt70: await callsToOpen(trigger, 0.7),
      callsToOpenAt100: await callsToOpen(trigger, 1),
    });
  }
  printTable({
    title: [
      'breaker triggers on independent errors (lower opens under a storm is better; fewer calls to open a dead model is better)',
    ],
    headers: ['trigger', 'opens/10k @30%', 'opens/10k @50%', 'calls to open @70%', 'calls to open @100%'],
    rows: rows.map((row) => [
      row.trigger,
      row.opensPer10kAt30,
      row.opensPer10kAt50,
      row.callsToOpenAt70,
      row.callsToOpenAt100,
    ]),
  });
  return { rows };
}
