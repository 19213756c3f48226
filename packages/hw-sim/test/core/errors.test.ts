import { BusError, ERRNO, hex, InvariantError, isErrnoCode, SocmemError } from '@socmem/hw-sim';
import { describe, expect, it } from 'vitest';

describe('SocmemError', () => {
  it('carries the errno name, the positive POSIX number and a message naming the value', () => {
    const error = new SocmemError('ENOMEM', 'allocator: no free block of order 3');
    expect(error.code).toBe('ENOMEM');
    expect(error.errno).toBe(12);
    expect(error.message).toBe('ENOMEM: allocator: no free block of order 3');
    expect(error).toBeInstanceOf(Error);
  });

  it('uses the Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h)', () => {
    expect(ERRNO).toMatchObject({
      EPERM: 1,
      ENOENT: 2,
      EIO: 5,
      EAGAIN: 11,
      ENOMEM: 12,
      EFAULT: 14,
      EBUSY: 16,
      EEXIST: 17,
      ENODEV: 19,
      EINVAL: 22,
      ENOSPC: 28,
      ERANGE: 34,
    });
    expect(isErrnoCode('EBADF')).toBe(true);
    expect(isErrnoCode('NOPE')).toBe(false);
  });

  it('isInstance recognises socmem errors and filters by code, without instanceof', () => {
    const error = new BusError('read', 0x1000, 4, 'nothing there');
    expect(SocmemError.isInstance(error)).toBe(true);
    expect(SocmemError.isInstance(error, 'EFAULT')).toBe(true);
    expect(SocmemError.isInstance(error, 'EINVAL')).toBe(false);
    expect(SocmemError.isInstance(new Error('plain'))).toBe(false);
    expect(SocmemError.isInstance(null)).toBe(false);
    // A copy from another realm or package version has the same global-symbol marker.
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('socmem.error')]: true,
      code: 'EBUSY',
    });
    expect(SocmemError.isInstance(foreign, 'EBUSY')).toBe(true);
  });

  it('BusError reports access, address and size', () => {
    const error = new BusError('write', 0x8_8000_0000, 8, 'no RAM');
    expect(error.code).toBe('EFAULT');
    expect(error.access).toBe('write');
    expect(error.address).toBe(0x8_8000_0000);
    expect(error.size).toBe(8);
    expect(error.message).toBe('EFAULT: bus write of 8 bytes at 0x8_8000_0000: no RAM');
  });

  it('InvariantError is an EIO naming the structure', () => {
    const error = new InvariantError('data cache', 'line 3 cached twice');
    expect(error.code).toBe('EIO');
    expect(error.message).toContain('data cache invariant broken: line 3 cached twice');
  });

  it('hex groups digits by four', () => {
    expect(hex(0)).toBe('0x0');
    expect(hex(0x4000_0000)).toBe('0x4000_0000');
    expect(hex(0xf_ffff_f000)).toBe('0xf_ffff_f000');
    expect(hex(0xffff_ffff_ffff_ffffn)).toBe('0xffff_ffff_ffff_ffff');
  });
});
