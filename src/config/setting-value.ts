/** An environment variable's value, trimmed; undefined when it is unset or blank (blank means "use the default"). */
export function settingValue(environment: Record<string, string | undefined>, name: string): string | undefined {
  const raw = environment[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
}
