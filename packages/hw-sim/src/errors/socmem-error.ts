import { ERRNO, type ErrnoCode } from './errno';

const MARKER = Symbol.for('socmem.error');

/**
 * The one error class every socmem package throws (directly or through a subclass).
 * `code` is the errno name Linux returns in the same situation, `errno` its positive number,
 * and the message names the object and the bad value.
 *
 * Identity is checked with {@link SocmemError.isInstance}, which works across duplicated
 * package copies where `instanceof` would not.
 */
export class SocmemError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;
  /** Marks socmem errors across duplicated package copies (see isInstance). */
  readonly [MARKER] = true;

  constructor(code: ErrnoCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'SocmemError';
    this.code = code;
    this.errno = ERRNO[code];
  }

  /** True for any socmem error, optionally only for one errno code. */
  static isInstance(error: unknown, code?: ErrnoCode): error is SocmemError {
    if (typeof error !== 'object' || error === null || !(MARKER in error)) return false;
    return code === undefined || (error as { code?: unknown }).code === code;
  }
}

/** Formats a number as 0x-prefixed hex with `_` every four digits, for error messages. */
export function hex(value: number | bigint): string {
  const digits = value.toString(16);
  const grouped = digits.replace(/\B(?=([0-9a-f]{4})+$)/g, '_');
  return `0x${grouped}`;
}
