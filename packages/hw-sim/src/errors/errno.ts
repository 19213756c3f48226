/**
 * The Linux errno values (positive, as in include/uapi/asm-generic/errno-base.h and errno.h)
 * that socmem errors carry. `code` is the name, `errno` the number, exactly as Linux returns
 * them (negated) from the same calls.
 */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  EDEADLK: 35,
  ENOSYS: 38,
  EOVERFLOW: 75,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;

/** An errno name, e.g. 'ENOMEM'. */
export type ErrnoCode = keyof typeof ERRNO;

/** True when `code` names an errno in the table. */
export function isErrnoCode(code: string): code is ErrnoCode {
  return Object.hasOwn(ERRNO, code);
}
