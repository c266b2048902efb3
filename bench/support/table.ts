import { maskSecrets } from '../../src/config/mask-secrets';

/** How a column's cells line up. */
export type ColumnAlignment = 'left' | 'right';

/** A text table: header cells, rows, and lines printed above it. */
export interface TextTable {
  /** Lines printed above the table (what was measured, against what). */
  title?: string[];
  headers: string[];
  rows: (string | number)[][];
  /** Per column. @default 'right' for columns whose cells are all numbers, else 'left' */
  align?: ColumnAlignment[];
}

function pad(text: string, width: number, alignment: ColumnAlignment): string {
  return alignment === 'right' ? text.padStart(width) : text.padEnd(width);
}

/**
 * Formats a table with columns padded to their widest cell, two spaces apart, and a dashed
 * rule under the header. Lines carry no trailing spaces.
 */
export function formatTable(table: TextTable): string {
  const columnCount = Math.max(table.headers.length, ...table.rows.map((row) => row.length));
  const cell = (row: readonly (string | number)[], column: number): string => String(row[column] ?? '');
  const widths = Array.from({ length: columnCount }, (_, column) =>
    Math.max(cell(table.headers, column).length, ...table.rows.map((row) => cell(row, column).length)),
  );
  const alignments = widths.map(
    (_, column): ColumnAlignment =>
      table.align?.[column] ??
      (table.rows.length > 0 && table.rows.every((row) => typeof row[column] === 'number') ? 'right' : 'left'),
  );
  const line = (row: readonly (string | number)[]): string =>
    widths
      .map((width, column) => pad(cell(row, column), width, alignments[column] ?? 'left'))
      .join('  ')
      .trimEnd();
  return [
    ...(table.title ?? []),
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
  ].join('\n');
}

/** Prints {@link formatTable} to stdout, followed by a newline, with any credential masked. */
export function printTable(table: TextTable): void {
  process.stdout.write(`${maskSecrets(formatTable(table))}\n`);
}
