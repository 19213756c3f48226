import { hex, InvariantError, type Machine, type PageAllocator, SocmemError } from '@socmem/hw-sim';
import { getOrder, IO_PGTABLE_ALLOC_FAIL_POINT, tableAllocFailPointError } from '../table-pages';
import { ARM_V7S_LVL2_TABLE_SIZE, ARM_V7S_OWNER } from './constants';

/** One page carved into 1 KiB level-2 tables (a slab of Linux's `io-pgtable_armv7s_l2` cache). */
interface L2Slab {
  readonly pa: number;
  /** 1 per slot in use. */
  readonly used: Uint8Array;
  inUse: number;
}

/** What the table allocator needs to know about its page-table instance. */
export interface ArmV7sTableAllocatorConfig {
  readonly machine: Machine;
  readonly allocator: PageAllocator;
  readonly coherentWalk: boolean;
  /** Highest table PA + 1 that a descriptor can hold (2^32, or 2^oas with MTK_TTBR_EXT). */
  readonly tableLimit: number;
}

/**
 * Table memory for one v7s page table: the level-1 table as whole naturally aligned pages
 * (`__get_free_pages(get_order(size))`), level-2 tables as 1 KiB slots of pages, as Linux's
 * kmem_cache with size = align = 1 KiB. A page goes back to the allocator when its last slot is
 * freed. Every table allocation first passes the 'io-pgtable-alloc' fail point.
 */
export class ArmV7sTableAllocator {
  private readonly config: ArmV7sTableAllocatorConfig;
  private readonly slabs: L2Slab[] = [];
  private readonly slotsPerPage: number;

  constructor(config: ArmV7sTableAllocatorConfig) {
    this.config = config;
    this.slotsPerPage = Math.max(1, config.allocator.pageSize / ARM_V7S_LVL2_TABLE_SIZE);
  }

  /** Level-2 tables currently allocated. */
  get l2Tables(): number {
    let count = 0;
    for (const slab of this.slabs) count += slab.inUse;
    return count;
  }

  /** `__arm_v7s_alloc_table(1)`: zeroed, naturally aligned pages for the level-1 table. */
  allocL1(size: number): number {
    const { machine, allocator } = this.config;
    if (machine.failPoints.shouldFail(IO_PGTABLE_ALLOC_FAIL_POINT)) {
      throw tableAllocFailPointError('io-pgtable-arm-v7s', 'level-1 table');
    }
    const order = this.orderFor(size);
    const pa = allocator.allocPages(order, ARM_V7S_OWNER);
    if (pa + size > this.config.tableLimit) {
      allocator.freePages(pa, order);
      throw new SocmemError(
        'ENOMEM',
        `io-pgtable-arm-v7s: page table does not fit in PTE: ${hex(pa)}`,
      );
    }
    this.mapForDevice(pa, size);
    return pa;
  }

  /** Frees the level-1 table. */
  freeL1(pa: number, size: number): void {
    this.config.allocator.freePages(pa, this.orderFor(size));
  }

  /** `kmem_cache_zalloc` of a 1 KiB level-2 table. */
  allocL2(): number {
    const { machine, allocator } = this.config;
    if (machine.failPoints.shouldFail(IO_PGTABLE_ALLOC_FAIL_POINT)) {
      throw tableAllocFailPointError('io-pgtable-arm-v7s', 'level-2 table');
    }
    let slab = this.slabs.find((candidate) => candidate.inUse < this.slotsPerPage);
    if (slab === undefined) {
      const pa = allocator.allocPages(0, ARM_V7S_OWNER);
      slab = { pa, used: new Uint8Array(this.slotsPerPage), inUse: 0 };
      this.slabs.push(slab);
    }
    const slot = slab.used.indexOf(0);
    slab.used[slot] = 1;
    slab.inUse++;
    const pa = slab.pa + slot * ARM_V7S_LVL2_TABLE_SIZE;
    if (pa + ARM_V7S_LVL2_TABLE_SIZE > this.config.tableLimit) {
      this.freeL2(pa);
      throw new SocmemError(
        'ENOMEM',
        `io-pgtable-arm-v7s: page table does not fit in PTE: ${hex(pa)}`,
      );
    }
    // A reused slot holds whatever the previous table left: zero it as kmem_cache_zalloc does.
    machine.cpu.fill(pa, 0, ARM_V7S_LVL2_TABLE_SIZE);
    this.mapForDevice(pa, ARM_V7S_LVL2_TABLE_SIZE);
    return pa;
  }

  /** `kmem_cache_free`; the page goes back when its last table is freed. */
  freeL2(pa: number): void {
    const pageSize = this.config.allocator.pageSize;
    const pagePa = pa - (pa % pageSize);
    const index = this.slabs.findIndex((slab) => slab.pa === pagePa);
    const slab = this.slabs[index];
    const slot = (pa - pagePa) / ARM_V7S_LVL2_TABLE_SIZE;
    if (slab === undefined || slab.used[slot] !== 1) {
      throw new SocmemError(
        'EINVAL',
        `io-pgtable-arm-v7s: ${hex(pa)} is not an allocated level-2 table`,
      );
    }
    slab.used[slot] = 0;
    slab.inUse--;
    if (slab.inUse === 0) {
      this.slabs.splice(index, 1);
      this.config.allocator.freePages(slab.pa, 0);
    }
  }

  /** True when `pa` is an allocated level-2 table. */
  isL2Table(pa: number): boolean {
    const pageSize = this.config.allocator.pageSize;
    const pagePa = pa - (pa % pageSize);
    const slab = this.slabs.find((candidate) => candidate.pa === pagePa);
    return (
      slab !== undefined &&
      (pa - pagePa) % ARM_V7S_LVL2_TABLE_SIZE === 0 &&
      slab.used[(pa - pagePa) / ARM_V7S_LVL2_TABLE_SIZE] === 1
    );
  }

  /** Slab counts agree with their slot maps; no empty slab is kept. */
  checkInvariants(): void {
    for (const slab of this.slabs) {
      let used = 0;
      for (const flag of slab.used) used += flag;
      if (used !== slab.inUse)
        throw new InvariantError(
          'io-pgtable-arm-v7s',
          `slab ${hex(slab.pa)} counts ${slab.inUse}, map says ${used}`,
        );
      if (used === 0)
        throw new InvariantError('io-pgtable-arm-v7s', `empty slab ${hex(slab.pa)} kept`);
    }
  }

  /**
   * `dma_map_single(DMA_TO_DEVICE)` of a fresh table for a non-coherent walker: the zeroes the
   * CPU wrote must reach RAM before the walker can see the table.
   */
  private mapForDevice(pa: number, size: number): void {
    if (!this.config.coherentWalk) this.config.machine.cache.clean(pa, size);
  }

  private orderFor(size: number): number {
    return getOrder(size, this.config.allocator.pageSize);
  }
}
