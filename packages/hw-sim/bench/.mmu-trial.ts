import { runBenchSuite } from '@socmem/bench';
import { mmuBenchCases } from './mmu';
runBenchSuite('hw-sim-mmu-trial', mmuBenchCases, 300);
