import { loadConfig } from '../src/config/load-config';
import { stackUp } from '../src/stack';

/**
 * Names of the variables this setup filled in, so a test can tell a stack the user
 * configured (external) from the local one (managed by Chassis).
 */
export const DEFAULTED_VARIABLES = 'CHASSIS_TEST_DEFAULTED_VARIABLES';

/**
 * Jest global setup: makes sure the local stack is up (starting it the first time, in a
 * few hundred milliseconds once the binaries are built) and tells the test workers where
 * it is. The stack is not stopped afterwards: the next run reuses it, and `.ci/run`
 * stops it.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  await stackUp(config, { quiet: true });
  const defaulted: string[] = [];
  if (!process.env.TEMPORAL_ADDRESS) {
    process.env.TEMPORAL_ADDRESS = config.temporal.address;
    defaulted.push('TEMPORAL_ADDRESS');
  }
  if (!process.env.MONGODB_URI) {
    process.env.MONGODB_URI = config.mongo.uri;
    defaulted.push('MONGODB_URI');
  }
  // Workers started by tests (each on its own queue) create no retention schedules on the shared server.
  process.env.CHASSIS_RETENTION_SCHEDULE ??= 'off';
  process.env[DEFAULTED_VARIABLES] = defaulted.join(',');
}
