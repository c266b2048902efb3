import ipaddr from 'ipaddr.js';
import type { McpServerConfig } from './mcp-servers';

/**
 * Which non-public addresses outbound requests may reach (`CHASSIS_HTTP_ALLOW_PRIVATE`):
 * `true` = loopback, private (RFC 1918, fc00::/7), link-local and CGNAT networks, but still
 * not cloud-metadata, multicast, broadcast, unspecified or reserved addresses; a list =
 * exactly the addresses inside these CIDR ranges (`10.0.0.0/8`, `127.0.0.1`, `fd00::/8`).
 */
export type PrivateAddressAllowance = boolean | string[];

/**
 * The tool settings of a Chassis process (`ChassisConfig.tools`), from `CHASSIS_WORKSPACE_DIR`,
 * `CHASSIS_HTTP_ALLOWED_HOSTS` (comma-separated), `CHASSIS_HTTP_ALLOW_PRIVATE` and
 * `CHASSIS_MCP_SERVERS` (JSON). The tool registry's `ToolsConfig` widens it with limits
 * that tests and benchmarks set in code.
 */
export interface ToolsSettings {
  /** Folder of `workspace_read` / `workspace_write`; unset = those tools are not offered. */
  workspaceDir?: string;
  /** Hosts `http_fetch` may GET from; empty = `http_fetch` is not offered. */
  httpAllowedHosts?: string[];
  /** Which private addresses `http_fetch` may reach. @default none */
  http?: { allowPrivateAddresses?: PrivateAddressAllowance };
  /** MCP servers whose tools are registered as `<server>__<tool>`. */
  mcpServers?: McpServerConfig[];
}

/**
 * Parses `CHASSIS_HTTP_ALLOW_PRIVATE`: `true`/`false` (also `1`/`0`, `yes`/`no`), or a
 * comma-separated list of CIDR ranges or single addresses.
 * @throws Error whose message says which entry is wrong and what to write instead
 */
export function parseAllowPrivateAddresses(value: string): PrivateAddressAllowance {
  const text = value.trim();
  if (/^(true|1|yes)$/i.test(text)) return true;
  if (/^(false|0|no)$/i.test(text)) return false;
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) parseAddressRange(entry);
  return entries;
}

/**
 * One entry of a {@link PrivateAddressAllowance} list as a network and its prefix length
 * (a single address is a /32 or /128 range).
 * @throws Error whose message says what to write instead
 */
export function parseAddressRange(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  try {
    if (entry.includes('/')) return ipaddr.parseCIDR(entry);
    const address = ipaddr.parse(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(
      `"${entry}" is not an IP address or CIDR range: use true, or a list such as "10.0.0.0/8,127.0.0.1,fd00::/8"`,
    );
  }
}
