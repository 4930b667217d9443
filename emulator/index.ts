// The emulator's public face: pick a backend by name, get an Emulator.
import type { ChipImage } from '../isa/image/types.js';
import { createCpuBackend } from './cpu/threaded.js';
import { createWebGpuEmulator } from './webgpu/webgpu.js';
import type { CreateEmulator, Emulator, RunOptions } from './interface.js';

/** Backends that exist, each with its factory; a new backend is one more entry here. */
const BACKENDS = {
  // The CPU reference; options.threads > 1 spreads its cores over worker threads (same results).
  cpu: createCpuBackend,
  webgpu: createWebGpuEmulator,
} as const satisfies Readonly<Record<string, CreateEmulator>>;

export type BackendName = keyof typeof BACKENDS & Emulator['backend'];
export const BACKEND_NAMES = Object.keys(BACKENDS) as readonly BackendName[];

export function createEmulator(backend: BackendName, image: ChipImage, options: RunOptions): Promise<Emulator> {
  return BACKENDS[backend](image, options);
}

export { COUNTER_NAMES } from './interface.js';
export type { CounterName, Counters, CreateEmulator, Emulator, RunOptions, SpikeEvents } from './interface.js';
export { createCpuEmulator, createCpuEmulatorWithState } from './cpu/cpu.js';
export { threadingObstacle } from './cpu/threaded.js';
export type { CpuEmulator, CpuNeuronState } from './cpu/cpu.js';
export { hardwareGpu, WebGpuUnavailableError, WebGpuUnsupportedError } from './webgpu/adapter.js';
export { ENERGY_CATEGORIES, chipTimeS, energyByCore, energyOf } from './energy.js';
export type { EnergyBreakdown, EnergyCategory, Joules, Seconds } from './energy.js';
