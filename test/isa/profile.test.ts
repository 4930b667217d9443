// Chip profiles as data: the built-in profiles load with every number sourced,
// a malformed profile names every bad field, and the crossbar limit of a
// TrueNorth-like chip is enforced by the compiler, not silently mis-modelled.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSource } from '../../compiler/index.js';
import { barrierCycles, builtinProfile, builtinProfileNames, parseProfile, ProfileError, type ChipProfile } from '../../isa/profile.js';

const here = new URL('../../isa/profiles/', import.meta.url);
const fileOf = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`${name}.json`, here), 'utf8')) as Record<string, unknown>;

function load(name: string): ChipProfile {
  const p = builtinProfile(name);
  if (p === undefined) throw new Error(`no built-in profile ${name}`);
  return p;
}

/** Every problem parseProfile finds in a changed copy of a profile file. */
function problems(json: unknown): readonly string[] {
  try {
    parseProfile(json, 'mine.json');
  } catch (err) {
    if (err instanceof ProfileError) return err.problems;
    throw err;
  }
  return [];
}

describe('the built-in profiles', () => {
  it('are loihi-like (the default), truenorth-like and tiny', () => {
    expect(builtinProfileNames()).toEqual(['loihi-like', 'tiny', 'truenorth-like']);
  });

  it('give every number a source that the file cites', () => {
    for (const name of builtinProfileNames()) {
      const file = fileOf(name);
      const sources = file.sources as Record<string, string>;
      const walk = (x: unknown, path: string): void => {
        if (typeof x !== 'object' || x === null || Array.isArray(x)) return;
        const o = x as Record<string, unknown>;
        if ('value' in o || ('tiles' in o && 'time_ns' in o)) {
          expect(typeof o.source === 'string' && o.source in sources, `${name}: ${path} cites ${String(o.source)}`).toBe(true);
          return;
        }
        for (const [k, v] of Object.entries(o)) if (k !== 'sources') walk(v, `${path}.${k}`);
      };
      walk(file, name);
    }
  });

  it('describe TrueNorth as Merolla et al. 2014 does: 64 x 64 cores of 256 x 256, 4 axon types, 26 pJ, a 1 ms tick', () => {
    const tn = load('truenorth-like');
    expect(tn.mesh).toEqual({ tilesX: 64, tilesY: 64, coresPerTile: 1 });
    expect([tn.limits.neuronsPerCore, tn.limits.inputAxonsPerCore, tn.limits.axonTypes]).toEqual([256, 256, 4]);
    expect(tn.energyPj.synaptic_op).toBe(26);
    expect(tn.tickCycles).toBe(1e6); // 1 ms of the nominal 1 GHz clock
    expect(tn.limits.maxDelaySteps).toBe(15);
  });

  it('keep Loihi per-synapse weights (no axon types) and a sourced static power', () => {
    const loihi = load('loihi-like');
    expect(loihi.limits.axonTypes).toBeUndefined();
    expect(loihi.staticPowerW).toBe(0.029);
    expect(loihi.tickCycles).toBe(0);
  });
});

describe('parseProfile', () => {
  it('names every missing or malformed field of a user profile at once', () => {
    const file = fileOf('tiny');
    const bad = {
      ...file,
      time_ns: { ...(file.time_ns as object), hop_east_west: { value: -3, source: 'meso' } },
      energy_pj: { ...(file.energy_pj as object), synaptic_op: undefined },
      barrier: { tiles: [2, 1], time_ns: [10, 40], source: 'meso' },
      tick_ns: undefined,
    };
    const found = problems(bad);
    expect(found).toContain('"time_ns.hop_east_west.value" must be a positive time in ns, found -3');
    expect(found).toContain('missing "energy_pj.synaptic_op" (an object {"value": ..., "source": ...})');
    expect(found).toContain('"barrier.tiles" must be whole numbers strictly increasing from 1, found [2,1]');
    expect(found).toContain('missing "tick_ns" (an object {"value": ..., "source": ...})');
    expect(found).toHaveLength(4);
  });

  it('rejects a barrier table whose arrays differ in length, a source it does not cite, and a bad axon_types', () => {
    const file = fileOf('tiny');
    expect(problems({ ...file, barrier: { tiles: [1, 4], time_ns: [10], source: 'meso' } })[0]).toMatch(/^"barrier.tiles" and "barrier.time_ns" must be non-empty arrays/);
    expect(problems({ ...file, barrier: { tiles: [1], time_ns: [10], source: 'nobody' } })).toEqual(['"barrier.source" must name one of "sources" (meso)']);
    const limits = { ...(file.limits as object), axon_types: { value: 2.5, source: 'meso' } };
    expect(problems({ ...file, limits })).toEqual(['"limits.axon_types.value" must be a positive integer (distinct weights per neuron on a crossbar core), found 2.5']);
  });

  it('turns a barrier table into cycles and interpolates it', () => {
    const file = fileOf('tiny');
    const p = parseProfile({ ...file, barrier: { tiles: [1, 3, 5], time_ns: [10, 30, 30.4], source: 'meso' } }, 'mine.json');
    expect(p.barrier).toEqual({ tiles: [1, 3, 5], cycles: [10, 30, 30] });
    // 2 tiles: halfway from 10 to 30 = 20; 4: 30; past the last point: 30.
    expect([1, 2, 3, 4, 9].map((n) => barrierCycles(p, n))).toEqual([10, 20, 30, 30, 30]);
  });
});

describe('the crossbar limit (truenorth-like)', () => {
  const program = (weight: string): string => `target "truenorth-like" { dt = 1 ms }
neuron N { model = lif }
input x[10] { encoding = poisson(max_rate = 20 Hz) }
population y[3] : N
connect x -> y { pattern = all_to_all; weight = ${weight} }
`;

  it('compiles a network with one weight value per target neuron', () => {
    const r = compileSource(program('0.5'), 'ok.snn');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.image?.profile.name).toBe('truenorth-like');
  });

  it('rejects ten distinct weights into one neuron with E3050, naming the population and the limit', () => {
    const r = compileSource(program('uniform(0.1, 1.0)'), 'bad.snn');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe(3050);
    expect(errors[0].message).toMatch(/^population `y` cannot be wired on the crossbar of `truenorth-like`: its neuron 0 receives \d+ distinct non-zero weights, but a core's axons have only 4 types/);
    expect(r.image).toBeUndefined();
  });

  it('does not apply to loihi-like, whose synapses each hold a weight', () => {
    const r = compileSource(program('uniform(0.1, 1.0)').replace('truenorth-like', 'loihi-like'), 'loihi.snn');
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
