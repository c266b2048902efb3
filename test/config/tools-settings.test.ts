import { parseAllowPrivateAddresses } from '../../src/config/tools-settings';

describe('parseAllowPrivateAddresses (CHASSIS_HTTP_ALLOW_PRIVATE)', () => {
  test('true/false words and lists of ranges', () => {
    expect(parseAllowPrivateAddresses('true')).toBe(true);
    expect(parseAllowPrivateAddresses('1')).toBe(true);
    expect(parseAllowPrivateAddresses('false')).toBe(false);
    expect(parseAllowPrivateAddresses(' 10.0.0.0/8, 127.0.0.1 ,fd00::/8')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      'fd00::/8',
    ]);
  });

  test.each(['banana', '10.0.0.0/33', '10.0.0.0/8,,x', '300.1.1.1'])('"%s" is refused with what to write', (value) => {
    expect(() => parseAllowPrivateAddresses(value)).toThrow(/is not an IP address or CIDR range: use true, or a list/);
  });
});
