// Growable logs both backends keep on the host: step-indexed typed arrays, the
// spike-event log of recorded cores, and counters as named records.
import { COUNTER_NAMES, type CounterName, type SpikeEvents } from './interface.js';

type GrowableArray = Float64Array | Uint32Array | Uint16Array | Int32Array;

/** A copy of `a` with room for at least `needed` elements, at least doubling. */
export function grow<A extends GrowableArray>(a: A, needed: number): A {
  const next = new (a.constructor as new (length: number) => A)(Math.max(needed, a.length * 2));
  next.set(a);
  return next;
}

/**
 * The length a per-packet buffer takes for a step of `needed` packets: an
 * eighth more, not double. Networks that fire in bursts set these buffers by
 * their largest step (CUBA at 40,000 neurons and 1 ms: a step of 0.25-1.3 M
 * packets every 60-80 steps, 43,000 on average), where doubling would hold up
 * to twice that.
 */
export function packetRoom(needed: number): number {
  return needed + (needed >> 3);
}

/** Counter values in COUNTER_NAMES order, as a record keyed by name. */
export function toRecord(values: Float64Array): Readonly<Record<CounterName, number>> {
  const record = {} as Record<CounterName, number>;
  COUNTER_NAMES.forEach((name, k) => {
    record[name] = values[k];
  });
  return record;
}

/** Spike events (step, core, slot) in the order they happened; grows by doubling, never per event. */
export class EventLog {
  private step = new Uint32Array(1024);
  private core = new Uint16Array(1024);
  private neuron = new Uint16Array(1024);
  private count = 0;

  push(t: number, c: number, neuron: number): void {
    if (this.count === this.step.length) {
      this.step = grow(this.step, this.count + 1);
      this.core = grow(this.core, this.count + 1);
      this.neuron = grow(this.neuron, this.count + 1);
    }
    this.step[this.count] = t;
    this.core[this.count] = c;
    this.neuron[this.count] = neuron;
    this.count++;
  }

  /** A copy of the events so far. */
  snapshot(): SpikeEvents {
    return { step: this.step.slice(0, this.count), core: this.core.slice(0, this.count), neuron: this.neuron.slice(0, this.count) };
  }
}
