import { hex, SocmemError } from '../errors/socmem-error';
import {
  dropEntry,
  emitTlbEvent,
  entrySize,
  entryStart,
  TLB_GLOBAL,
  TLB_INVALID,
  type TlbStorage,
} from './tlb-storage';

/**
 * TLB invalidation as the architecture defines each operation (ARM ARM D8.13 "TLB maintenance
 * instructions"; SMMUv2 CB TLBI*): which entries a TLBI removes, by ASID, VMID and address.
 * Every call counts as one invalidation and traces one 'invalidate' event.
 */

/** Removes every entry (TLBI VMALLE1 / SMMU TLBIALL). */
export function invalidateAllEntries(tlb: TlbStorage): void {
  begin(tlb, -1, -1, -1, -1);
  for (let slot = 0; slot < tlb.key.length; slot++)
    if (tlb.key[slot] !== TLB_INVALID) remove(tlb, slot);
}

/**
 * Removes the non-global entries of `asid` (TLBI ASIDE1 / SMMU TLBIASID): global entries stay,
 * whatever ASID they were cached under. `vmid` limits it to one VMID.
 */
export function invalidateAsidEntries(tlb: TlbStorage, asid: number, vmid?: number): void {
  begin(tlb, -1, -1, asid, vmid ?? -1);
  for (let slot = 0; slot < tlb.key.length; slot++) {
    if (tlb.key[slot] === TLB_INVALID) continue;
    const tag = tlb.asidTag[slot]!;
    if (tag === TLB_GLOBAL || tag !== asid) continue;
    if (vmid === undefined || tlb.vmid[slot] === vmid) remove(tlb, slot);
  }
}

/** Removes every entry of `vmid`, global or not (TLBI VMALLS12E1 / SMMU TLBIVMID). */
export function invalidateVmidEntries(tlb: TlbStorage, vmid: number): void {
  begin(tlb, -1, -1, -1, vmid);
  for (let slot = 0; slot < tlb.key.length; slot++)
    if (tlb.key[slot] !== TLB_INVALID && tlb.vmid[slot] === vmid) remove(tlb, slot);
}

/**
 * Removes the entries overlapping [inputAddress, inputAddress + size): with `asid`, that ASID's
 * entries and every global one (TLBI VAE1 / RVAE1: by-VA operations always remove global
 * entries); without, every ASID's (TLBI VAAE1 / SMMU TLBIVAA). `vmid` limits it to one VMID.
 * EINVAL for an address or size that is not a non-negative safe integer (nothing removed).
 */
export function invalidateRangeEntries(
  tlb: TlbStorage,
  inputAddress: number,
  size: number,
  asid?: number,
  vmid?: number,
): void {
  if (
    !Number.isSafeInteger(inputAddress) ||
    inputAddress < 0 ||
    !Number.isSafeInteger(size) ||
    size < 1
  ) {
    throw new SocmemError(
      'EINVAL',
      `tlb ${tlb.name}: bad invalidation range ${hex(inputAddress)} + ${size}`,
    );
  }
  begin(tlb, inputAddress, size, asid ?? -1, vmid ?? -1);
  const end = inputAddress + size;
  for (let slot = 0; slot < tlb.key.length; slot++) {
    if (tlb.key[slot] === TLB_INVALID) continue;
    const start = entryStart(tlb, slot);
    if (start >= end || start + entrySize(tlb, slot) <= inputAddress) continue;
    if (vmid !== undefined && tlb.vmid[slot] !== vmid) continue;
    const tag = tlb.asidTag[slot]!;
    if (asid === undefined || tag === TLB_GLOBAL || tag === asid) remove(tlb, slot);
  }
}

function begin(
  tlb: TlbStorage,
  inputAddress: number,
  size: number,
  asid: number,
  vmid: number,
): void {
  tlb.counters.invalidations++;
  if (tlb.trace.active) emitTlbEvent(tlb, 'invalidate', inputAddress, size, asid, vmid);
}

function remove(tlb: TlbStorage, slot: number): void {
  dropEntry(tlb, slot);
  tlb.counters.invalidatedEntries++;
}
