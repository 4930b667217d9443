// Progress of `meso train`: a bar redrawn in place on a TTY (samples per second,
// running accuracy, energy so far); on anything else, one plain line per phase.
import { chipTimeS, energyOf } from '../../emulator/energy.js';
import type { ChipImage } from '../../isa/image/types.js';
import { si } from '../report.js';
import type { SampleHook } from './loop.js';

const BAR = 24;
/** Redraws at most this often (ms): drawing is not free on slow terminals. */
const REDRAW_MS = 200;

export function progressHook(label: string, image: ChipImage, stream: NodeJS.WriteStream): SampleHook {
  const tty = stream.isTTY === true;
  let started = performance.now();
  let last = 0;
  let phase = '';
  return (p, done, total, correct, books) => {
    const now = performance.now();
    if (p !== phase) {
      phase = p;
      started = now;
    }
    const end = done === total;
    if (!tty) {
      if (end) {
        const b = books();
        const e = energyOf(b.counters, image.profile, chipTimeS(b.cycles, image.profile)).totalJ;
        stream.write(`${label} ${p}: ${total} samples, accuracy ${((100 * correct) / total).toFixed(2)}%, energy ${si(e, 'J')}, ${(total / ((now - started) / 1000)).toFixed(1)} samples/s\n`);
      }
      return;
    }
    if (!end && now - last < REDRAW_MS) return;
    last = now;
    const b = books();
    const e = energyOf(b.counters, image.profile, chipTimeS(b.cycles, image.profile)).totalJ;
    const filled = Math.round((BAR * done) / total);
    const rate = done / Math.max(1e-3, (now - started) / 1000);
    const line = `${label} ${p.padEnd(5)} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${done}/${total} ${rate.toFixed(1)} samples/s  acc ${((100 * correct) / done).toFixed(1)}%  energy ${si(e, 'J')}`;
    stream.write(`\r${line}\x1b[K${end ? '\n' : ''}`);
  };
}
