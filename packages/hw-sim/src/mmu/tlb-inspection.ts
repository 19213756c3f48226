import { InvariantError } from '../errors/invariant-error';
import { entrySize, entryStart, TLB_INVALID, type TlbStorage } from './tlb-storage';
import type { TlbEntry } from './tlb-types';

/** Views of a TLB for people and tests: its entries, their count, and its invariants. */

/** Number of valid entries. */
export function tlbSize(tlb: TlbStorage): number {
  let count = 0;
  for (let slot = 0; slot < tlb.key.length; slot++) if (tlb.key[slot] !== TLB_INVALID) count++;
  return count;
}

/** The valid entries in slot order (allocates). */
export function tlbEntries(tlb: TlbStorage): TlbEntry[] {
  const list: TlbEntry[] = [];
  for (let slot = 0; slot < tlb.key.length; slot++) {
    if (tlb.key[slot] === TLB_INVALID) continue;
    const info = tlb.info[slot]!;
    list.push({
      slot,
      inputAddress: entryStart(tlb, slot),
      pageSize: entrySize(tlb, slot),
      pa: tlb.paBase[slot]!,
      asid: tlb.asidTag[slot]!,
      vmid: tlb.vmid[slot]!,
      level: info & 3,
      permissions: (info >>> 2) & 63,
      memoryAttributes: (info >>> 8) & 0xff,
    });
  }
  return list;
}

/**
 * Every valid entry sits in the set its page selects; the page-size counts and the probe list
 * match the entries; no (page, size, VMID, ASID) tag is cached twice.
 */
export function checkTlbInvariants(tlb: TlbStorage): void {
  const where = `tlb ${tlb.name}`;
  const counts = new Int32Array(64);
  const seen = new Set<string>();
  for (let slot = 0; slot < tlb.key.length; slot++) {
    const key = tlb.key[slot]!;
    if (key === TLB_INVALID) continue;
    const shift = key % 64;
    const page = (key - shift) / 64;
    if (shift < 10 || !Number.isSafeInteger(page) || page < 0) {
      throw new InvariantError(where, `entry ${slot} has a bad tag ${key}`);
    }
    counts[shift]!++;
    if (Math.floor(slot / tlb.ways) !== (page & tlb.setMask)) {
      throw new InvariantError(
        where,
        `entry ${slot} (page ${page}, shift ${shift}) is in the wrong set`,
      );
    }
    const tag = `${key}:${tlb.vmid[slot]}:${tlb.asidTag[slot]}`;
    if (seen.has(tag)) throw new InvariantError(where, `tag ${tag} cached twice`);
    seen.add(tag);
  }
  let active = 0;
  for (let shift = 0; shift < 64; shift++) {
    if (counts[shift] !== tlb.shiftCount[shift]) {
      throw new InvariantError(
        where,
        `shift ${shift} count is ${tlb.shiftCount[shift]}, entries say ${counts[shift]}`,
      );
    }
    if (counts[shift]! > 0 && tlb.activeShifts[active++] !== shift) {
      throw new InvariantError(where, `page size shift ${shift} missing from the probe list`);
    }
  }
  if (active !== tlb.activeCount) {
    throw new InvariantError(where, `probe list has ${tlb.activeCount} sizes, entries ${active}`);
  }
}
