import { runBenchSuite } from '@socmem/bench';
import { coreBenchCases } from './core';
import { iommuBenchCases } from './iommu';
import { mmuBenchCases } from './mmu';

runBenchSuite('hw-sim', [...coreBenchCases(), ...mmuBenchCases, ...iommuBenchCases]);
