// Text rules shared by request validation (routes/schemas.ts) and error messages (errors.ts). A leaf module: it
// imports nothing, so neither of those has to import the other.

/**
 * Printable, non-blank text: no C0/C1 control characters (they break logs, terminals and Postgres text), no
 * zero-width or bidirectional-override characters (they hide or reorder what a reviewer reads), and at least
 * one visible character.
 */
export const PLAIN_TEXT_PATTERN =
  '^(?=.*[^\\s\\u200b-\\u200f\\u2060\\ufeff])[^\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e\\u2060\\u2066-\\u2069\\ufeff]*$';

/** Characters a reader sees: not whitespace, control or formatting characters. */
export function visibleLength(value: string): number {
  return [...value.replace(/[\p{Cc}\p{Cf}\p{Z}\s]/gu, '')].length;
}

/** Rejects lone surrogates, which would otherwise be silently replaced when encoded. */
export function wellFormed(value: string): boolean {
  return value.isWellFormed();
}
