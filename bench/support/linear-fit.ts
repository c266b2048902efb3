/** A straight line `y = intercept + slope · x`. */
export interface LinearFit {
  slope: number;
  intercept: number;
}

/**
 * The least-squares line through `points` (`[x, y]` pairs). Benchmarks use the slope to read
 * a per-item cost from runs of different sizes: fixed costs go into the intercept, so they
 * cancel instead of being spread over the items.
 *
 * @throws when there are fewer than two distinct x values (no slope to fit).
 */
export function fitLine(points: readonly (readonly [number, number])[]): LinearFit {
  const count = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / count;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / count;
  let covariance = 0;
  let varianceX = 0;
  for (const [x, y] of points) {
    covariance += (x - meanX) * (y - meanY);
    varianceX += (x - meanX) ** 2;
  }
  if (count < 2 || varianceX === 0) {
    throw new Error(`cannot fit a line to ${count} point(s) without two distinct x values: measure at least two sizes`);
  }
  const slope = covariance / varianceX;
  return { slope, intercept: meanY - slope * meanX };
}
