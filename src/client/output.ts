import { maskSecrets } from '../config/mask-secrets';

/** Prints one JSON document on stdout (the only thing `--json` commands write there). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Progress and notices go to stderr so stdout stays machine-readable; credentials in URIs
 * and the values of secret variables are masked.
 */
export function note(message: string): void {
  process.stderr.write(`${maskSecrets(message)}\n`);
}
