import { faultStatusCode } from './fault-status';
import { ACCESS_PRIV, type PageTableFormat, type TranslationResult } from './translation';

/** The PERMISSION_* bits `access` needs, shifted to the privilege's field. */
export function permissionAllows(permissions: number, access: number): boolean {
  const need = access & 7;
  const granted = (access & ACCESS_PRIV) !== 0 ? permissions : permissions >>> 3;
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
  const granted = (access & ACCESS_PRIV) !== 0 ? out.permissions : out.permissions >>> 3;
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
