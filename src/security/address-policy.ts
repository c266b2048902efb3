import ipaddr from 'ipaddr.js';
import { parseAddressRange, type PrivateAddressAllowance } from '../config/tools-settings';

/** What an IP address is, for refusal messages. */
export type AddressKind =
  | 'public'
  | 'loopback'
  | 'private'
  | 'unique-local'
  | 'link-local'
  | 'carrier-grade NAT'
  | 'cloud-metadata'
  | 'multicast'
  | 'broadcast'
  | 'unspecified'
  | 'reserved';

/** Kinds `CHASSIS_HTTP_ALLOW_PRIVATE=true` lets through: networks a deployment may own. */
const PRIVATE_NETWORK_KINDS = new Set<AddressKind>([
  'loopback',
  'private',
  'unique-local',
  'link-local',
  'carrier-grade NAT',
]);

/**
 * Instance-metadata endpoints of the big clouds: AWS/GCP/Azure/OpenStack/Oracle
 * (169.254.169.254), AWS ECS task metadata (169.254.170.2), AWS DNS (169.254.169.253),
 * AWS IMDS over IPv6 (fd00:ec2::254), Alibaba (100.100.100.200), Oracle classic (192.0.0.192).
 * They hand out credentials, so `true` does not open them; only a CIDR entry naming them does.
 */
const CLOUD_METADATA_ADDRESSES = [
  '169.254.169.254',
  '169.254.170.2',
  '169.254.169.253',
  'fd00:ec2::254',
  '100.100.100.200',
  '192.0.0.192',
].map((text) => ipaddr.parse(text).toNormalizedString());

/** Names that reach instance metadata through the cloud's own DNS; refused before any lookup. */
const CLOUD_METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
]);

const NAT64_PREFIX = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Parses an IP literal, unwrapping IPv4-mapped (`::ffff:127.0.0.1`) and NAT64
 * (`64:ff9b::7f00:1`) IPv6 addresses to the IPv4 address they reach.
 * @throws when `text` is not an IP address
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const address = ipaddr.parse(text.replace(/^\[|\]$/g, ''));
  if (address.kind() === 'ipv6') {
    const ipv6 = address as ipaddr.IPv6;
    if (ipv6.isIPv4MappedAddress()) return ipv6.toIPv4Address();
    if (ipv6.match(NAT64_PREFIX)) return ipaddr.fromByteArray(ipv6.toByteArray().slice(12));
  }
  return address;
}

/** True when `text` is an IPv4 or IPv6 literal (brackets allowed). */
export function isIpLiteral(text: string): boolean {
  return ipaddr.isValid(text.replace(/^\[|\]$/g, ''));
}

/** Classifies an IP address (see {@link AddressKind}); anything special that is not listed is `reserved`. */
export function classifyAddress(text: string): AddressKind {
  const address = parseAddress(text);
  if (CLOUD_METADATA_ADDRESSES.includes(address.toNormalizedString())) return 'cloud-metadata';
  const range = address.range();
  switch (range) {
    case 'unicast':
      // ::/96 (IPv4-compatible, deprecated) is "unicast" to the library but is no public address.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) {
        return 'reserved';
      }
      return 'public';
    case 'loopback':
    case 'private':
    case 'multicast':
    case 'broadcast':
    case 'unspecified':
      return range;
    case 'uniqueLocal':
      return 'unique-local';
    case 'linkLocal':
      return 'link-local';
    case 'carrierGradeNat':
      return 'carrier-grade NAT';
    default:
      return 'reserved';
  }
}

/** True when `hostname` (any case, trailing dot allowed) is a cloud-metadata name. */
export function isCloudMetadataName(hostname: string): boolean {
  return CLOUD_METADATA_NAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}

/**
 * Decides which addresses outbound requests may connect to: public unicast addresses
 * always; others only as {@link PrivateAddressAllowance} says.
 */
export class OutboundAddressPolicy {
  private readonly privateNetworks: boolean;
  private readonly ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][];

  constructor(allowance: PrivateAddressAllowance = false) {
    this.privateNetworks = allowance === true;
    this.ranges = Array.isArray(allowance) ? allowance.map(parseAddressRange) : [];
  }

  /** Why `address` is refused (its kind), or `undefined` when it may be reached. */
  refusal(address: string): AddressKind | undefined {
    const kind = classifyAddress(address);
    if (kind === 'public') return undefined;
    if (this.privateNetworks && PRIVATE_NETWORK_KINDS.has(kind)) return undefined;
    const parsed = parseAddress(address);
    // An IPv4-mapped range such as ::ffff:10.0.0.0/104 is matched as the IPv4 range it stands for.
    const inRange = this.ranges.some(([network, bits]) => {
      const unwrapped =
        network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96
          ? ([(network as ipaddr.IPv6).toIPv4Address(), bits - 96] as const)
          : ([network, bits] as const);
      return unwrapped[0].kind() === parsed.kind() && parsed.match(unwrapped[0], unwrapped[1]);
    });
    return inRange ? undefined : kind;
  }
}
