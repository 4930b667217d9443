// Progress of `meso train`: a bar redrawn in place on a TTY (samples per second,
// running accuracy, energy so far); on anything else, one plain line per phase.
import { chipTimeS, energyOf } from '../../emulator/energy.js';
import type { ChipImage } from '../../isa/image/types.js';
import { si } from '../report.js';
import type { PhaseBooks, SampleHook } from './loop.js';

const BAR = 24;
/** Redraws at most this often (ms): drawing is not free on slow terminals. */
const REDRAW_MS = 200;

/** The chip energy of a phase's books so far, in joules. */
function booksJ(image: ChipImage, b: PhaseBooks): number {
  return energyOf(b.counters, image.profile, chipTimeS(b.cycles, image.profile)).totalJ;
}

/** The line that closes a phase, the same on a TTY and elsewhere. */
function phaseSummary(label: string, phase: string, total: number, correct: number, energyJ: number, samplesPerS: number): string {
  return `${label} ${phase}: ${total} samples, accuracy ${((100 * correct) / total).toFixed(2)}%, energy ${si(energyJ, 'J')}, ${samplesPerS.toFixed(1)} samples/s`;
}

/** Samples per second of a phase so far, from its books' wall clock (which starts with the phase, wherever it runs). */
function samplesPerS(done: number, b: PhaseBooks): number {
  return done / Math.max(1e-3, b.wallS);
}

export function progressHook(label: string, image: ChipImage, stream: NodeJS.WriteStream): SampleHook {
  const tty = stream.isTTY === true;
  let last = 0;
  return (p, done, total, correct, books) => {
    const end = done === total;
    if (!tty) {
      if (end) {
        const b = books();
        stream.write(`${phaseSummary(label, p, total, correct, booksJ(image, b), samplesPerS(done, b))}\n`);
      }
      return;
    }
    const now = performance.now();
    if (!end && now - last < REDRAW_MS) return;
    last = now;
    const b = books();
    const e = booksJ(image, b);
    const rate = samplesPerS(done, b);
    const filled = Math.round((BAR * done) / total);
    const line = `${label} ${p.padEnd(5)} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${done}/${total} ${rate.toFixed(1)} samples/s  acc ${((100 * correct) / done).toFixed(1)}%  energy ${si(e, 'J')}`;
    stream.write(`\r${line}\x1b[K${end ? '\n' : ''}`);
  };
}

/**
 * Progress of runs trained at once (--compare on two threads): on a TTY one line
 * redrawn in place with every run's phase, samples and running accuracy; on
 * anything else the plain line of progressHook at each phase's end.
 */
export function sharedProgress(image: ChipImage, stream: NodeJS.WriteStream): (label: string) => SampleHook {
  if (stream.isTTY !== true) return (label) => progressHook(label, image, stream);
  const state = new Map<string, string>();
  let last = 0;
  const draw = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - last < REDRAW_MS) return;
    last = now;
    stream.write(`\r${[...state.values()].join('  |  ')}\x1b[K`);
  };
  return (label) => (p, done, total, correct, books) => {
    // The books come with every worker message: reading them costs nothing here.
    const b = books();
    const rate = samplesPerS(done, b);
    if (done === total) {
      stream.write(`\r${phaseSummary(label, p, total, correct, booksJ(image, b), rate)}\x1b[K\n`);
      state.delete(label);
      draw(true);
      return;
    }
    state.set(label, `${label} ${p} ${done}/${total} ${rate.toFixed(1)}/s acc ${((100 * correct) / done).toFixed(1)}%`);
    draw(false);
  };
}
