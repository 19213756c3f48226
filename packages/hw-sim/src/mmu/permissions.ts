import { faultStatusCode } from './fault-status';
import type { PageTableFormat, TranslationResult } from './translation';

// ACCESS_PRIV appears as the literal 8: applyAccess runs on every TLB hit, and V8 reloads an
// imported binding from the module context on every access.

/** The PERMISSION_* bits `access` needs, shifted to the privilege's field. */
export function permissionAllows(permissions: number, access: number): boolean {
  const need = access & 7;
  const granted = (access & 8) !== 0 ? permissions : permissions >>> 3; // 8: ACCESS_PRIV
  return (granted & need) === need;
}

/**
 * Sets readable/writable/executable from `out.permissions` as seen by `access`'s privilege,
 * and records a permission fault when `access` is not allowed. Returns true when allowed.
 * Used after a walk and on every TLB hit (a TLB keeps the permissions, not the decision).
 */
export function applyAccess(
  out: TranslationResult,
  access: number,
  format: PageTableFormat,
  stage: number,
): boolean {
  const granted = (access & 8) !== 0 ? out.permissions : out.permissions >>> 3; // 8: ACCESS_PRIV
  out.readable = (granted & 1) !== 0;
  out.writable = (granted & 2) !== 0;
  out.executable = (granted & 4) !== 0;
  const need = access & 7;
  if ((granted & need) === need) return true;
  out.fault = 'permission';
  out.faultLevel = out.level;
  out.faultStage = stage;
  out.faultAccess = access;
  out.faultStatus = faultStatusCode(format, 'permission', out.level);
  return false;
}
