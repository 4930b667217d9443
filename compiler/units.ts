// Physical units of the language. Times and rates carry units; membrane
// quantities (threshold, reset, weights, bias) are dimensionless.

export type Dimension = 'time' | 'rate';

export interface UnitInfo {
  readonly dimension: Dimension;
  /** SI value of one unit (seconds or hertz); `steps` scales by dt instead. */
  readonly scale: number;
}

/** Every unit, in the order messages list them. */
export const UNITS: Readonly<Record<string, UnitInfo>> = {
  us: { dimension: 'time', scale: 1e-6 },
  ms: { dimension: 'time', scale: 1e-3 },
  s: { dimension: 'time', scale: 1 },
  steps: { dimension: 'time', scale: Number.NaN },
  Hz: { dimension: 'rate', scale: 1 },
  kHz: { dimension: 'rate', scale: 1e3 },
};

/** The unit that counts time steps of dt. */
export const STEPS_UNIT = 'steps';

export const ALL_UNITS: readonly string[] = Object.keys(UNITS);

export function unitsOf(dimension: Dimension): readonly string[] {
  return ALL_UNITS.filter((u) => UNITS[u].dimension === dimension);
}

export function unitInfo(name: string): UnitInfo | undefined {
  return Object.hasOwn(UNITS, name) ? UNITS[name] : undefined;
}

/** Strips float noise: 0.30000000000000004 -> 0.3. */
const tidy = (x: number): number => Number(x.toPrecision(6));

/** A time for messages, in the largest unit that keeps it at least 1: "2 ms", "250 us". */
export function formatSeconds(seconds: number): string {
  if (seconds >= 1) return `${tidy(seconds)} s`;
  if (seconds >= 1e-3) return `${tidy(seconds * 1e3)} ms`;
  return `${tidy(seconds * 1e6)} us`;
}

/** A step count for messages: whole counts as integers, others to 4 significant digits. */
export function formatSteps(steps: number): string {
  return Number.isInteger(steps) ? String(steps) : String(Number(steps.toPrecision(4)));
}
