import type { Collection, Db } from 'mongodb';
import { PLAIN_FIELDS, type FieldEncryption, type Stored } from '../codec/field-encryption';

/** Collection of full tool outputs that were too long for the model. */
export const TOOL_OUTPUTS_COLLECTION = 'tool_outputs';

/** The built-in tool that reads stored outputs (registered when a database is configured). */
export const TOOL_OUTPUT_READ_NAME = 'tool_output_read';

/** Prefix of an output reference: `tool-output:<sha256>`. */
export const OUTPUT_REF_PREFIX = 'tool-output:';

/**
 * Longest output stored, in characters. A MongoDB document holds 16 MB; 4M UTF-16 code
 * units are at most 12 MB of UTF-8. Longer outputs are cut, and the excerpt says so.
 */
export const MAX_STORED_OUTPUT_CHARS = 4_000_000;

/** A stored output, as in MongoDB. */
export interface StoredToolOutput {
  /** Content address of `content` (SHA-256, or an HMAC when encrypted): equal outputs are stored once. */
  _id: string;
  /** Sealed when payload encryption is on. */
  content: Stored<string>;
  chars: number;
  /** The tool that first produced it. */
  tool: string;
  createdAt: Date;
  /** Workflows whose tool results point at it; the retention sweep keeps it while one of them runs. */
  workflowIds?: string[];
  /** The last time a call produced it; the retention sweep counts its age from here. Absent on older outputs. */
  lastUsedAt?: Date;
}

/** A stored output as read back: its text in clear. */
export type ToolOutput = Omit<StoredToolOutput, 'content'> & { content: string };

/**
 * Full tool outputs, content-addressed, so workflow histories carry only a bounded excerpt
 * and a reference (docs/architecture.md, decision 6). With payload encryption on, the text is encrypted at
 * rest and the address is keyed. Outputs are kept for the retention period (`chassis gc`),
 * and longer while a workflow that produced them runs.
 */
export class ToolOutputStore {
  private readonly collection: Collection<StoredToolOutput>;

  constructor(
    db: Db,
    private readonly fields: FieldEncryption = PLAIN_FIELDS,
  ) {
    this.collection = db.collection<StoredToolOutput>(TOOL_OUTPUTS_COLLECTION);
  }

  /** Stores `content` (once per distinct text) and returns its reference; `workflowId` is recorded as an owner. */
  async put(content: string, tool: string, workflowId?: string): Promise<string> {
    const id = this.fields.address(content);
    const now = new Date();
    await this.collection.updateOne(
      { _id: id },
      {
        $setOnInsert: {
          content: this.fields.sealText(content, contentContext(id)),
          chars: content.length,
          tool,
          createdAt: now,
        },
        $set: { lastUsedAt: now },
        ...(workflowId !== undefined ? { $addToSet: { workflowIds: workflowId } } : {}),
      },
      { upsert: true },
    );
    return `${OUTPUT_REF_PREFIX}${id}`;
  }

  /** The stored output of a reference, or undefined when there is none. */
  async get(ref: string): Promise<ToolOutput | undefined> {
    const id = parseOutputRef(ref);
    if (id === undefined) return undefined;
    const stored = await this.collection.findOne({ _id: id });
    if (stored === null) return undefined;
    return { ...stored, content: this.fields.openText(stored.content, contentContext(id)) };
  }
}

function contentContext(id: string): string {
  return `${TOOL_OUTPUTS_COLLECTION}/${id}/content`;
}

/** The hash inside a reference, or undefined when `ref` is not one. */
export function parseOutputRef(ref: string): string | undefined {
  const match = /^tool-output:([0-9a-f]{64})$/.exec(ref.trim());
  return match?.[1];
}

/** What the model sees in place of a long output. */
export interface OutputExcerpt {
  text: string;
  /** Characters of the original output shown. */
  shownChars: number;
}

/**
 * A bounded excerpt of a long output: its beginning plus a note that says how much is
 * missing and how to read the rest. The whole text (note included) fits in `maxChars`.
 *
 * @param reference the stored output's id, or undefined when the output could not be stored
 * @param readerTool the tool that reads stored outputs, when registered
 */
export function excerptOutput(
  output: string,
  maxChars: number,
  reference: string | undefined,
  readerTool?: string,
  unstoredReason = 'no database configured',
): OutputExcerpt {
  const note = (shown: number) => {
    const head = `\n…\n[output truncated: showing characters 1-${shown} of ${output.length}.`;
    if (reference === undefined) return `${head} The rest was not stored (${unstoredReason}).]`;
    const how =
      readerTool === undefined ? '' : ` Read more with ${readerTool} {"ref":"${reference}","offset":${shown}}.`;
    return `${head} Full output stored as ${reference}.${how}]`;
  };
  // The note's length depends on the digits of `shown`; size it for the longest case.
  const room = Math.max(0, maxChars - note(output.length).length);
  const shown = Math.min(output.length, cutBeforeSurrogate(output, room));
  return { text: output.slice(0, shown) + note(shown), shownChars: shown };
}

/** Moves a cut point back by one if it would split a UTF-16 surrogate pair. */
function cutBeforeSurrogate(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return index;
  const code = text.charCodeAt(index - 1);
  return code >= 0xd800 && code <= 0xdbff ? index - 1 : index;
}
