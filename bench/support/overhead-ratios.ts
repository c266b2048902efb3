/** What one more step costs, read from runs of 1 and of `longRounds` rounds (medians, ms). */
export interface PerStepCost {
  /** The bare loop's time per extra round: the model's and the tool's own time. */
  bareMs: number;
  plainMs: number;
  chassisMs: number;
  /** What the plain workflow adds to each extra round beyond the bare loop. */
  plainBeyondBareMs: number;
  /** What Chassis adds to each extra round beyond the bare loop (the target: <= 30 ms). */
  chassisBeyondBareMs: number;
}

/** Ratios between the overhead benchmark's medians; a ratio is left out when a median is missing. */
export interface OverheadRatios {
  plainOverBare?: number;
  chassisOverBare?: number;
  chassisOverPlain?: number;
  noMemoryOverPlain?: number;
  codecOverChassis?: number;
  perExtraStep?: PerStepCost;
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  if (numerator === undefined || denominator === undefined || !(denominator > 0)) return undefined;
  return Math.round((numerator / denominator) * 100) / 100;
}

function perRound(long: number | undefined, short: number | undefined, extraRounds: number): number | undefined {
  if (long === undefined || short === undefined) return undefined;
  return (long - short) / extraRounds;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The ratios the overhead benchmark prints, from the medians of its variants (`bare`,
 * `plain`, `chassis`, `chassis-no-memory`, `chassis-codec`, and `bare-long`, `plain-long`,
 * `chassis-long` with `longRounds` rounds). The cost of one more step is the slope between
 * the 1-round and the `longRounds`-round medians, so fixed costs (start, recall, result)
 * cancel out.
 *
 * @throws when `longRounds` is not an integer above 1 (no slope to take).
 */
export function computeOverheadRatios(medians: Readonly<Record<string, number>>, longRounds: number): OverheadRatios {
  if (!Number.isInteger(longRounds) || longRounds < 2) {
    throw new Error(`longRounds must be an integer above 1, got ${longRounds}`);
  }
  const ratios: OverheadRatios = {};
  const set = <K extends keyof Omit<OverheadRatios, 'perExtraStep'>>(key: K, value: number | undefined) => {
    if (value !== undefined) ratios[key] = value;
  };
  set('plainOverBare', ratio(medians.plain, medians.bare));
  set('chassisOverBare', ratio(medians.chassis, medians.bare));
  set('chassisOverPlain', ratio(medians.chassis, medians.plain));
  set('noMemoryOverPlain', ratio(medians['chassis-no-memory'], medians.plain));
  set('codecOverChassis', ratio(medians['chassis-codec'], medians.chassis));
  const extra = longRounds - 1;
  const bareMs = perRound(medians['bare-long'], medians.bare, extra);
  const plainMs = perRound(medians['plain-long'], medians.plain, extra);
  const chassisMs = perRound(medians['chassis-long'], medians.chassis, extra);
  if (bareMs !== undefined && plainMs !== undefined && chassisMs !== undefined) {
    ratios.perExtraStep = {
      bareMs: round(bareMs),
      plainMs: round(plainMs),
      chassisMs: round(chassisMs),
      plainBeyondBareMs: round(plainMs - bareMs),
      chassisBeyondBareMs: round(chassisMs - bareMs),
    };
  }
  return ratios;
}
