import { faultStatusCode } from './fault-status';
import type { FaultKind, TranslationResult, WalkConfig } from './translation';

/** Records a fault found by a walk in `out` and returns false (the walker's return value). */
export function walkFault(
  out: TranslationResult,
  kind: FaultKind,
  level: number,
  config: WalkConfig,
  access: number,
): false {
  out.fault = kind;
  out.faultLevel = level;
  out.faultStage = config.stage;
  out.faultAccess = access;
  out.faultStatus = faultStatusCode(config.format, kind, level);
  return false;
}

/** Clears `out` before a walk or a TLB fill. */
export function resetResult(out: TranslationResult, inputAddress: number): void {
  out.inputAddress = inputAddress;
  out.pa = 0;
  out.pageSize = 0;
  out.level = 0;
  out.readable = false;
  out.writable = false;
  out.executable = false;
  out.memoryAttributes = 0;
  out.shareability = 0;
  out.nonGlobal = false;
  out.nonSecure = false;
  out.descriptorLo = 0;
  out.descriptorHi = 0;
  out.walkReads = 0;
  out.permissions = 0;
  clearFault(out);
}

/** Clears the fault fields of `out` (a TLB hit fills every other field itself). */
export function clearFault(out: TranslationResult): void {
  out.fault = null;
  out.faultLevel = 0;
  out.faultStage = 0;
  out.faultStatus = 0;
  out.faultAccess = 0;
  out.faultDescriptorAddress = -1;
}
