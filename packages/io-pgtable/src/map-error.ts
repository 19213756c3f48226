import { type ErrnoCode, SocmemError } from '@socmem/hw-sim';

/**
 * A failed `mapPages`: Linux returns an errno and reports through `*mapped` what it mapped
 * before failing (v7s loops page by page; LPAE maps all or nothing of one table). The
 * caller (the IOMMU core) unmaps `mapped` bytes to roll back.
 */
export class IoPgtableMapError extends SocmemError {
  readonly mapped: number;

  constructor(code: ErrnoCode, message: string, mapped: number) {
    super(code, message);
    this.name = 'IoPgtableMapError';
    this.mapped = mapped;
  }

  /**
   * Re-raises a SocmemError from deeper down (EEXIST, ENOMEM, ...) as a map error carrying
   * `mapped`, with the same code and text: the `CODE: ` prefix SocmemError put in front of the
   * message is not repeated.
   */
  static fromError(error: SocmemError, mapped: number): IoPgtableMapError {
    const prefix = `${error.code}: `;
    const text = error.message.startsWith(prefix)
      ? error.message.slice(prefix.length)
      : error.message;
    return new IoPgtableMapError(error.code, text, mapped);
  }
}
