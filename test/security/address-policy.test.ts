import { classifyAddress, isCloudMetadataName, OutboundAddressPolicy } from '../../src/security/address-policy';

describe('classifyAddress', () => {
  test.each([
    ['8.8.8.8', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.1.2.3', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.170.2', 'cloud-metadata'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['240.0.0.1', 'reserved'],
    ['::7f00:1', 'reserved'],
    // IPv4-mapped and NAT64 addresses are what they reach.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'cloud-metadata'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
    ['64:ff9b::808:808', 'public'],
    ['[::1]', 'loopback'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('OutboundAddressPolicy', () => {
  test('by default only public addresses pass', () => {
    const policy = new OutboundAddressPolicy();
    expect(policy.refusal('8.8.8.8')).toBeUndefined();
    expect(policy.refusal('127.0.0.1')).toBe('loopback');
    expect(policy.refusal('10.0.0.1')).toBe('private');
    expect(policy.refusal('::ffff:10.0.0.1')).toBe('private');
  });

  test('true opens private networks but not metadata, multicast or unspecified', () => {
    const policy = new OutboundAddressPolicy(true);
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', 'fd12::1', '169.254.1.1', 'fe80::1', '100.64.0.1']) {
      expect({ address, refusal: policy.refusal(address) }).toEqual({ address, refusal: undefined });
    }
    expect(policy.refusal('169.254.169.254')).toBe('cloud-metadata');
    expect(policy.refusal('fd00:ec2::254')).toBe('cloud-metadata');
    expect(policy.refusal('224.0.0.1')).toBe('multicast');
    expect(policy.refusal('0.0.0.0')).toBe('unspecified');
  });

  test('a list opens exactly its ranges, IPv4-mapped forms included', () => {
    const policy = new OutboundAddressPolicy(['10.0.0.0/8', '::ffff:127.0.0.0/104', '169.254.169.254']);
    expect(policy.refusal('10.200.0.1')).toBeUndefined();
    expect(policy.refusal('::ffff:10.200.0.1')).toBeUndefined();
    expect(policy.refusal('127.0.0.1')).toBeUndefined();
    expect(policy.refusal('169.254.169.254')).toBeUndefined();
    expect(policy.refusal('192.168.1.1')).toBe('private');
    expect(policy.refusal('169.254.169.253')).toBe('cloud-metadata');
    expect(policy.refusal('::1')).toBe('loopback');
  });
});

test('cloud-metadata names are known in any case and with a trailing dot', () => {
  expect(isCloudMetadataName('metadata.google.internal')).toBe(true);
  expect(isCloudMetadataName('Metadata.Google.Internal.')).toBe(true);
  expect(isCloudMetadataName('example.com')).toBe(false);
});
