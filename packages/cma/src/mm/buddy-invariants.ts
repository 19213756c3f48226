import { InvariantError } from '@socmem/hw-sim';
import type { BuddyAllocator } from './buddy-allocator';
import { MAX_NR_ZONES, MIGRATE_TYPES, migratetypeIsMergeable } from './constants';
import {
  PB_MIGRATE_ISOLATE_BIT,
  PG_ALLOCATED,
  PG_BUDDY,
  PG_HEAD,
  PG_LRU,
  PG_RESERVED,
} from './page-frames';

/**
 * Checks the buddy allocator's structures: every free list is well formed (links, order,
 * alignment, zone, pageblock type), the counters add up, no frame is both free and owned or
 * on two lists, every frame is free, allocated or reserved, two free buddies that could merge
 * never sit side by side, and every movable page is where its owner thinks it is.
 */
export function checkBuddyInvariants(buddy: BuddyAllocator): void {
  const frames = buddy.frames;
  const area = buddy.freeArea;
  const name = buddy.name;
  const pbOrder = buddy.pageblockOrder;
  const covered = new Uint8Array(frames.frameCount);
  for (let zone = 0; zone < MAX_NR_ZONES; zone++) {
    for (let type = 0; type < MIGRATE_TYPES; type++) {
      let pages = 0;
      for (let order = 0; order <= buddy.maxPageOrder; order++) {
        let blocks = 0;
        let previous = -1;
        for (let index = area.first(zone, order, type); index >= 0; index = frames.next[index]!) {
          if (++blocks > frames.frameCount)
            throw new InvariantError(name, `free list ${zone}/${order}/${type} has a cycle`);
          const size = 2 ** order;
          const where = `free block at frame ${index} (list zone ${zone} order ${order} type ${type})`;
          if (frames.prev[index] !== previous)
            throw new InvariantError(name, `${where}: prev link broken`);
          if ((frames.flags[index]! & PG_BUDDY) === 0)
            throw new InvariantError(name, `${where}: not PageBuddy`);
          if (frames.order[index] !== order || frames.listType[index] !== type) {
            throw new InvariantError(
              name,
              `${where}: head says order ${frames.order[index]} type ${frames.listType[index]}`,
            );
          }
          const span = frames.spanOfIndex(index);
          const pfn = span.startPfn + (index - span.offset);
          if (span.zone !== zone)
            throw new InvariantError(name, `${where}: frame is in zone ${span.zone}`);
          if (pfn % size !== 0 || pfn + size > span.endPfn)
            throw new InvariantError(name, `${where}: misaligned or past its span`);
          for (let block = index >>> pbOrder; block <= (index + size - 1) >>> pbOrder; block++) {
            if (frames.effectiveType(block) !== type) {
              throw new InvariantError(
                name,
                `${where}: pageblock ${block} is of type ${frames.effectiveType(block)}`,
              );
            }
          }
          for (let k = index; k < index + size; k++) {
            if (covered[k] !== 0)
              throw new InvariantError(name, `frame ${k} is in two free blocks`);
            covered[k] = 1;
          }
          pages += size;
          previous = index;
        }
        if (area.tails[area.listIndex(zone, order, type)] !== previous) {
          throw new InvariantError(
            name,
            `free list ${zone}/${order}/${type}: tail is frame ${area.tails[area.listIndex(zone, order, type)]}, last block is ${previous}`,
          );
        }
        if (area.blocks[area.listIndex(zone, order, type)] !== blocks) {
          throw new InvariantError(
            name,
            `free list ${zone}/${order}/${type} counts ${area.blocks[area.listIndex(zone, order, type)]} blocks, holds ${blocks}`,
          );
        }
      }
      if (area.pagesByType[zone * MIGRATE_TYPES + type] !== pages) {
        throw new InvariantError(
          name,
          `zone ${zone} type ${type}: counter ${area.pagesByType[zone * MIGRATE_TYPES + type]} free pages, lists hold ${pages}`,
        );
      }
    }
  }
  for (let index = 0; index < frames.frameCount; index++) {
    const flags = frames.flags[index]!;
    if (covered[index] !== 0) {
      if ((flags & ~PG_BUDDY) !== 0 || frames.owner[index] !== 0 || frames.pinCount[index] !== 0) {
        throw new InvariantError(
          name,
          `frame ${index} is free and also owned (flags ${flags}, owner ${frames.owner[index]})`,
        );
      }
      continue;
    }
    const allocated = (flags & PG_ALLOCATED) !== 0;
    const reserved = (flags & PG_RESERVED) !== 0;
    if ((flags & PG_BUDDY) !== 0 || allocated === reserved) {
      throw new InvariantError(
        name,
        `frame ${index} is neither free, allocated nor reserved (flags ${flags})`,
      );
    }
    if (allocated && frames.owner[index] === 0)
      throw new InvariantError(name, `allocated frame ${index} has no owner`);
    if (!allocated && frames.pinCount[index] !== 0)
      throw new InvariantError(name, `reserved frame ${index} is pinned`);
    if ((flags & PG_LRU) !== 0) {
      if ((flags & PG_HEAD) === 0 || frames.order[index] !== 0)
        throw new InvariantError(name, `movable frame ${index} is not an order-0 head`);
      const client = buddy.owners.client(frames.owner[index]!);
      if (
        client?.frameIndexOf !== undefined &&
        client.frameIndexOf(frames.ownerIndex[index]!) !== index
      ) {
        throw new InvariantError(
          name,
          `movable frame ${index}: owner ${buddy.owners.name(frames.owner[index]!)} page ${frames.ownerIndex[index]} points elsewhere`,
        );
      }
    }
  }
  checkNoMergeableBuddies(buddy, covered);
}

function checkNoMergeableBuddies(buddy: BuddyAllocator, covered: Uint8Array): void {
  const frames = buddy.frames;
  const pbOrder = buddy.pageblockOrder;
  for (let index = 0; index < frames.frameCount; index++) {
    if ((frames.flags[index]! & PG_BUDDY) === 0 || covered[index] === 0) continue;
    const order = frames.order[index]!;
    if (order >= buddy.maxPageOrder) continue;
    const span = frames.spanOfIndex(index);
    const pfn = span.startPfn + (index - span.offset);
    const size = 2 ** order;
    const delta = pfn % (2 * size) === 0 ? size : -size;
    if (pfn + delta < span.startPfn || pfn + delta >= span.endPfn) continue;
    const other = index + delta;
    if ((frames.flags[other]! & PG_BUDDY) === 0 || frames.order[other] !== order) continue;
    if (order >= pbOrder) {
      const a = frames.pageblock[index >>> pbOrder]!;
      const b = frames.pageblock[other >>> pbOrder]!;
      const mergeable =
        a === b ||
        (((a | b) & PB_MIGRATE_ISOLATE_BIT) === 0 &&
          migratetypeIsMergeable(a) &&
          migratetypeIsMergeable(b));
      if (!mergeable) continue;
    }
    throw new InvariantError(
      buddy.name,
      `free buddies at frames ${index} and ${other} (order ${order}) were not merged`,
    );
  }
}
