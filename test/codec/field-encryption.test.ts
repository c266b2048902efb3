import { createHash, randomBytes } from 'node:crypto';
import { Binary } from 'mongodb';
import { PayloadKeyring } from '../../src/codec/encryption-keys';
import { parsePayloadKey } from '../../src/config/payload-keys';
import { FieldEncryption, PLAIN_FIELDS } from '../../src/codec/field-encryption';

const key = (id: string) => parsePayloadKey(`${id}:${randomBytes(32).toString('base64')}`, 'TEST_KEY');

describe('field encryption at rest', () => {
  test('without a key values are stored as they are and addresses are plain SHA-256', () => {
    expect(PLAIN_FIELDS.encrypts).toBe(false);
    expect(PLAIN_FIELDS.sealText('hello', 'c/1/text')).toBe('hello');
    expect(PLAIN_FIELDS.sealJson({ a: 1 }, 'c/1/meta')).toEqual({ a: 1 });
    expect(PLAIN_FIELDS.address('hello')).toBe(createHash('sha256').update('hello').digest('hex'));
  });

  test('with a key text and JSON are sealed into binaries that hold no plaintext, and open again', () => {
    const fields = new FieldEncryption(new PayloadKeyring(key('k1')));
    const sealed = fields.sealText('MARKER-TEXT', 'c/1/text');
    expect(sealed).toBeInstanceOf(Binary);
    expect(Buffer.from((sealed as Binary).value()).toString('latin1')).not.toContain('MARKER');
    expect(fields.openText(sealed, 'c/1/text')).toBe('MARKER-TEXT');
    const json = fields.sealJson({ output: 'MARKER-JSON', ok: true }, 'c/1/outcome');
    expect(Buffer.from((json as Binary).value()).toString('latin1')).not.toContain('MARKER');
    expect(fields.openJson(json, 'c/1/outcome')).toEqual({ output: 'MARKER-JSON', ok: true });
    // Values written before encryption was turned on still read.
    expect(fields.openText('old plain text', 'c/2/text')).toBe('old plain text');
  });

  test('a sealed value is bound to its place: another document, field or a wrong key does not open it', () => {
    const fields = new FieldEncryption(new PayloadKeyring(key('k1')));
    const sealed = fields.sealText('secret', 'tool_outputs/a/content');
    expect(() => fields.openText(sealed, 'tool_outputs/b/content')).toThrow(
      'cannot decrypt the stored field tool_outputs/b/content with key "k1": the key is wrong or the data was altered (or copied from another document)',
    );
    const other = new FieldEncryption(new PayloadKeyring(key('k1')));
    expect(() => other.openText(sealed, 'tool_outputs/a/content')).toThrow(/wrong or the data was altered/);
    expect(() => PLAIN_FIELDS.openText(sealed, 'tool_outputs/a/content')).toThrow(
      'the stored field tool_outputs/a/content is encrypted with key "k1" but no key is configured: set CHASSIS_PAYLOAD_KEY (or CHASSIS_PAYLOAD_PREVIOUS_KEYS)',
    );
  });

  test('after a rotation old values open with the previous key; addresses are keyed HMACs that change with the key', () => {
    const first = key('k1');
    const before = new FieldEncryption(new PayloadKeyring(first));
    const sealed = before.sealText('kept across rotation', 'c/1/text');
    const after = new FieldEncryption(new PayloadKeyring(key('k2'), [first]));
    expect(after.openText(sealed, 'c/1/text')).toBe('kept across rotation');
    const address = before.address('short fact');
    expect(address).toMatch(/^[0-9a-f]{64}$/);
    expect(address).not.toBe(PLAIN_FIELDS.address('short fact'));
    expect(before.address('short fact')).toBe(address);
    expect(after.address('short fact')).not.toBe(address);
  });
});
