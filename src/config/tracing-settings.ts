import { ConfigError } from './config-error';
import { settingValue } from './setting-value';

/** Trace export, on only when the usual OpenTelemetry variables ask for it. */
export interface TracingSettings {
  /** `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or `OTEL_EXPORTER_OTLP_PROTOCOL`. @default 'http/protobuf' */
  protocol: 'http/protobuf' | 'http/json';
  /** `OTEL_SERVICE_NAME`; else each process names itself (`chassis-worker`, `chassis-cli`). */
  serviceName: string | undefined;
}

/**
 * Reads whether traces are exported, following OpenTelemetry's variables: on when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, or
 * `OTEL_TRACES_EXPORTER=otlp`; off when `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 * The exporter itself reads the endpoint, headers, timeout and batching variables
 * (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`, `OTEL_TRACES_SAMPLER`, `OTEL_RESOURCE_ATTRIBUTES`).
 *
 * @returns undefined when tracing is off (the default)
 * @throws {ConfigError} for an exporter or protocol Chassis does not ship
 */
export function loadTracingSettings(
  environment: Record<string, string | undefined> = process.env,
): TracingSettings | undefined {
  const value = (name: string) => settingValue(environment, name);
  if (value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return undefined;
  const exporter = value('OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return undefined;
  if (exporter !== undefined && exporter !== 'otlp') {
    throw new ConfigError(
      `OTEL_TRACES_EXPORTER is invalid: ${JSON.stringify(exporter)} (Chassis exports traces with "otlp" only: point OTEL_EXPORTER_OTLP_ENDPOINT at a collector, Jaeger or Tempo, or use "none")`,
    );
  }
  const endpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (exporter === undefined && endpoint === undefined) return undefined;
  const protocolName = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(protocolName) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new ConfigError(
      `${protocolName} is invalid: ${JSON.stringify(protocol)} (use "http/protobuf" or "http/json", on the collector's OTLP/HTTP port, usually 4318)`,
    );
  }
  return { protocol, serviceName: value('OTEL_SERVICE_NAME') };
}
