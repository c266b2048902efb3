/**
 * The 0-based positions, out of `count`, that make up `share` of them, spread evenly and
 * the same on every run: position `k` is chosen when `floor((k + 1) * share)` steps up
 * from `floor(k * share)`. Exactly `floor(count * share)` positions are chosen, e.g. a
 * share of 0.5 of 10 gives 1, 3, 5, 7, 9 and a share of 0.3 gives 3, 6, 9.
 *
 * Benchmarks use it to decide deterministically which items a simulated fault hits, so a
 * rerun hits the same ones (no `Math.random`).
 *
 * @throws when `share` is not between 0 and 1 or `count` is not a non-negative integer.
 */
export function evenlySpreadPositions(count: number, share: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  if (!(share >= 0 && share <= 1)) throw new Error(`share must be between 0 and 1, got ${share}`);
  // The epsilon keeps products such as 0.7 * 10 = 6.999999999999999 on the right side of the floor.
  const steps = (position: number) => Math.floor(position * share + 1e-9);
  const positions: number[] = [];
  for (let position = 0; position < count; position++) {
    if (steps(position + 1) > steps(position)) positions.push(position);
  }
  return positions;
}
