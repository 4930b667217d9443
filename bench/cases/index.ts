// Every benchmark case, in the order `npm run bench` runs them. A new case is one import and one entry.
import type { BenchCase } from '../harness.js';

export const CASES: readonly BenchCase[] = [];
