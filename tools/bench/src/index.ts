import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One measured figure: time per operation (lower is better) or throughput (higher is better). */
export type BenchKind = 'time' | 'throughput';

/** A body that performs `work` units (operations or bytes) per call. */
export interface BenchBody {
  readonly label: string;
  /** Operations (kind 'time') or bytes (kind 'throughput') done by one call of `run`. */
  readonly work: number;
  readonly run: () => void;
}

export interface BenchCase {
  readonly name: string;
  readonly kind: BenchKind;
  readonly subject: BenchBody;
  readonly baseline: BenchBody;
  /**
   * Target on subject/baseline: for 'time' the ratio of ns/op must be at most `ratio`; for
   * 'throughput' the ratio of bytes/s must be at least `ratio`. `absolute` is an extra target in
   * the figure's own unit (ns/op at most, or GiB/s at least).
   */
  readonly target?: { readonly ratio?: number; readonly absolute?: number; readonly note?: string };
}

export interface BenchResult {
  readonly name: string;
  readonly kind: BenchKind;
  readonly unit: 'ns/op' | 'GiB/s';
  readonly value: number;
  readonly baselineLabel: string;
  readonly baselineValue: number;
  readonly ratio: number;
  readonly targetMet: boolean | null;
  readonly target: BenchCase['target'] | null;
}

/** Scale factor for work sizes from SOCMEM_BENCH_SCALE (default 1), for quick runs. */
export function benchScale(): number {
  const scale = Number(process.env['SOCMEM_BENCH_SCALE'] ?? '1');
  return Number.isFinite(scale) && scale > 0 ? scale : 1;
}

/** Runs `body` repeatedly for at least `minMs`, after a warm-up, and returns work units per ns. */
function rate(body: BenchBody, minMs: number): number {
  body.run();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    body.run();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs || calls < 3);
  return (calls * body.work) / (elapsed * 1e6);
}

function figure(kind: BenchKind, unitsPerNs: number): number {
  // time: ns per op; throughput: GiB/s (bytes per ns * 1e9 / 2^30).
  return kind === 'time' ? 1 / unitsPerNs : (unitsPerNs * 1e9) / 2 ** 30;
}

/**
 * Runs a package's benchmarks, prints every figure beside its same-run baseline with the
 * ratio and target, and writes `bench-results/<suite>.json` at the repository root.
 */
export function runBenchSuite(
  suite: string,
  cases: readonly BenchCase[],
  minMs = 400,
): BenchResult[] {
  const results: BenchResult[] = [];
  console.log(`\n${suite} benchmarks (node ${process.version})`);
  for (const benchCase of cases) {
    const baselineRate = rate(benchCase.baseline, minMs);
    const subjectRate = rate(benchCase.subject, minMs);
    const value = figure(benchCase.kind, subjectRate);
    const baselineValue = figure(benchCase.kind, baselineRate);
    const ratio = value / baselineValue;
    const target = benchCase.target ?? null;
    let targetMet: boolean | null = null;
    if (target !== null) {
      const ratioMet =
        target.ratio === undefined ||
        (benchCase.kind === 'time' ? ratio <= target.ratio : ratio >= target.ratio);
      const absoluteMet =
        target.absolute === undefined ||
        (benchCase.kind === 'time' ? value <= target.absolute : value >= target.absolute);
      targetMet = ratioMet && absoluteMet;
    }
    const unit = benchCase.kind === 'time' ? 'ns/op' : 'GiB/s';
    results.push({
      name: benchCase.name,
      kind: benchCase.kind,
      unit,
      value,
      baselineLabel: benchCase.baseline.label,
      baselineValue,
      ratio,
      targetMet,
      target,
    });
    const targetText = describeTarget(benchCase, targetMet);
    console.log(
      `  ${benchCase.name}: ${value.toFixed(2)} ${unit} | baseline ${benchCase.baseline.label}: ${baselineValue.toFixed(2)} ${unit} | ratio ${ratio.toFixed(2)}x${targetText}`,
    );
  }
  const directory = join(process.cwd(), '..', '..', 'bench-results');
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    join(directory, `${suite.replace(/[^a-z0-9-]/gi, '_')}.json`),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  return results;
}

function describeTarget(benchCase: BenchCase, met: boolean | null): string {
  const target = benchCase.target;
  if (target === undefined) return '';
  const parts: string[] = [];
  const comparison = benchCase.kind === 'time' ? '<=' : '>=';
  if (target.ratio !== undefined) parts.push(`ratio ${comparison} ${target.ratio}x`);
  if (target.absolute !== undefined) {
    parts.push(`${comparison} ${target.absolute} ${benchCase.kind === 'time' ? 'ns/op' : 'GiB/s'}`);
  }
  if (target.note !== undefined) parts.push(target.note);
  return ` | target ${parts.join(', ')}: ${met ? 'met' : 'MISSED'}`;
}
