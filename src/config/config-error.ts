/** A configuration problem; its message is one line a user can act on. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
