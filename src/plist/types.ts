/** A plist `<real>`, kept apart from `<integer>` even when its value is integral. */
export class Real {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** A value a plist can carry: `<integer>` is a number when safe, else a bigint; `<real>` is a Real. */
export type PlistValue = string | number | bigint | boolean | Buffer | Date | Real | PlistValue[] | PlistDict;
export interface PlistDict {
  [key: string]: PlistValue;
}

/** What the builders accept: like PlistValue, plus any Uint8Array, and dict values that are
 * `undefined` or `null` (skipped) so callers can pass optional keys directly. */
export type BuildInput =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | Date
  | Real
  | readonly BuildInput[]
  | { readonly [key: string]: BuildInput | undefined | null };

/** A malformed plist. For XML, `offset` is the index into the decoded text and `line`/`column`
 * are 1-based; for binary plists, `offset` is a byte offset and `line`/`column` are 0. */
export class PlistError extends Error {
  override readonly name = 'PlistError';
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly line: number,
    readonly column: number,
  ) {
    super(
      line > 0
        ? `invalid plist at line ${line}, column ${column} (offset ${offset}): ${reason}`
        : `invalid binary plist at byte ${offset}: ${reason}`,
    );
  }

  /** An error at `offset` in XML `text`, with its line and column worked out. */
  static inText(text: string, offset: number, reason: string): PlistError {
    let line = 1;
    let lineStart = 0;
    for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    return new PlistError(reason, offset, line, offset - lineStart + 1);
  }
}

/** Integers a plist can hold: CoreFoundation's signed 64-bit range plus unsigned values up to 2^64 - 1. */
export const INT_MIN = -(2n ** 63n);
export const INT_MAX = 2n ** 64n - 1n;
