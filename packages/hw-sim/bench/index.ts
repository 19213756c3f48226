import { runBenchSuite } from '@socmem/bench';
import { coreBenchCases } from './core';

runBenchSuite('hw-sim', [...coreBenchCases()]);
