// Every benchmark case, in the order `npm run bench` runs them. A new case is one import and one entry.
import type { BenchCase } from '../harness.js';
import { CUBA_CASES } from './cuba.js';
import { LEARNING_CASE } from './learning.js';
import { MAPPER_CASE } from './mapper.js';
import { NOC_CASE, THREADS_CASE } from './threads.js';
import { WEBGPU_CASE } from './webgpu.js';

export const CASES: readonly BenchCase[] = [...CUBA_CASES, THREADS_CASE, NOC_CASE, MAPPER_CASE, WEBGPU_CASE, LEARNING_CASE];
