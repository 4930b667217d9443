// The benchmark harness: `npm run bench [-- --only NAME ...]`. Each case lives in
// bench/cases/ and registers itself in bench/cases/index.ts. Benchmarks measure;
// tests never time anything.
import { readFileSync } from 'node:fs';
import { cpus, platform, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface BenchContext {
  /** Print a line of the benchmark's output. */
  readonly log: (line: string) => void;
  /** Record a named figure (with its unit) for the JSON summary. */
  readonly record: (name: string, value: number, unit: string) => void;
  /** `--quick`: a case shortens itself (less simulated time, fewer repetitions). */
  readonly quick: boolean;
  /** `--vs NAME`: the simulators to run side by side (`brian2` unless `--vs none`). */
  readonly vs: readonly string[];
}

export interface BenchCase {
  readonly name: string;
  readonly description: string;
  readonly run: (ctx: BenchContext) => Promise<void>;
}

/** Wall time of fn in seconds. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/**
 * Waits until V8's background threads have finished the work the code before left them, at most `maxMs`: until the
 * process used under a tenth of a CPU over two 10-ms intervals in a row (its own thread sleeps here, and a threaded
 * engine's workers sleep once they have waited a while). The seconds it waited. Construction leaves TurboFan
 * compiles of its own functions queued (CUBA 4,000: mapNetwork 136 ms of a background thread, wasmModule 76 ms,
 * buildFanOuts 41-62 ms, `node --trace-opt`), which otherwise finish during the simulation, where two threads spin
 * on the machine's two CPUs and each compile takes one from them: a construction's cost, counted as one.
 */
export async function settle(maxMs = 2000): Promise<number> {
  const start = performance.now();
  const intervalMs = 10;
  let quiet = 0;
  let last = process.cpuUsage();
  while (quiet < 2 && performance.now() - start < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    const used = process.cpuUsage(last);
    last = process.cpuUsage();
    quiet = (used.user + used.system) / 1000 < intervalMs / 10 ? quiet + 1 : 0;
  }
  return (performance.now() - start) / 1000;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Peak resident set size of this process so far, in bytes. */
export function peakRssBytes(): number {
  // resourceUsage().maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS * 1024;
}

/** The machine a benchmark runs on, as the JSON summary records it. */
export interface Machine {
  /** The CPU's model name, with its vendor's family, model and stepping numbers where the system gives them. */
  readonly cpu: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
}

/**
 * The machine, from Linux's /proc/cpuinfo text where there is one (`cpuinfo`; null: none), else from Node's os module
 * alone. One model name covers several generations of a CPU ("AMD EPYC" on this project's virtual machines), and the
 * ratios against Brian2 move with more than the code: on a family 25 model 1 CPU (Zen 3, without AVX-512) Brian2's
 * CUBA simulations took 1.3-2.2x as long as in the session before's invocations and Meso's 1.1-1.4x
 * (docs/performance-log.md, fifteenth session), whose CPU no output recorded.
 */
export function machine(cpuinfo: string | null = readCpuinfo()): Machine {
  const field = (name: string): string | undefined => cpuinfo?.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1].trim();
  const name = field('model name') ?? cpus()[0]?.model.trim() ?? 'unknown CPU';
  const numbers = [['family', field('cpu family')], ['model', field('model')], ['stepping', field('stepping')]].filter(([, v]) => v !== undefined && v !== '');
  const cpu = numbers.length > 0 ? `${name} (${numbers.map(([k, v]) => `${k} ${v}`).join(', ')})` : name;
  return { cpu, cpus: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, platform: platform(), node: process.version };
}

/** One line for the benchmark's output. */
export function describeMachine(m: Machine): string {
  return `machine: ${m.cpu}, ${m.cpus} CPUs, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}`;
}

function readCpuinfo(): string | null {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return null;
  }
}
