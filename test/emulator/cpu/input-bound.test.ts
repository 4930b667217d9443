// Which groups' delay-slot sums stay in the state range (emulator/cpu/input-bound.ts): the bound is
// each slot's weights times the routes to their axons, against STATE_MAX, for either sign.
import { describe, expect, it } from 'vitest';
import { cpuChipLayout } from '../../../emulator/cpu/cpu.js';
import { boundedGroups } from '../../../emulator/cpu/input-bound.js';
import { STATE_MAX } from '../../../isa/fixed.js';
import type { ChipImage } from '../../../isa/image/types.js';
import { chipImage, lif, type AxonSpec, type RouteSpec } from '../build.js';

/** 127 << 16 and 127 << 9: together 8,388,096, 511 below STATE_MAX. */
const BIG = { weight: 127, exp: 16 };
const SMALL = { weight: 127, exp: 9 };

/**
 * Core 0: group A (slots 0-3) and group B (4-7) of neurons, then 2 Poisson inputs; axons 0 and 1 add BIG and SMALL
 * to slot 0, axons 2 and 3 their negatives to slot 4, axon 4 a BIG to slot 5; axons 5-8 add to slot 6 exactly
 * STATE_MAX, axon 9 one more. Core 1's inputs send: slot k has a route to each axon in routes[k].
 */
function image(routes: readonly (readonly number[])[]): ChipImage {
  const axon = (target: number, { weight, exp }: { weight: number; exp: number }, sign = 1): AxonSpec => ({ exp, synapses: [{ target, weight: sign * weight, delay: 1 }] });
  const neurons = { kind: 'neurons', count: 4, params: lif({ du: 100, dv: 50 }) } as const;
  const poisson = { kind: 'input', count: 2, encoding: { kind: 'poisson', threshold: 1 << 30 } } as const;
  const spec: Record<number, readonly RouteSpec[]> = Object.fromEntries(routes.map((axons, k) => [k, axons.map((a) => ({ core: 0, axon: a }))]));
  return chipImage([
    { slot: 0, groups: [neurons, neurons, poisson], axons: [axon(0, BIG), axon(0, SMALL), axon(4, BIG, -1), axon(4, SMALL, -1), axon(5, BIG),
      axon(6, BIG), axon(6, SMALL), axon(6, { weight: 127, exp: 2 }), axon(6, { weight: 3, exp: 0 }), axon(6, { weight: 1, exp: 0 })] },
    { slot: 1, groups: [{ kind: 'input', count: routes.length, encoding: { kind: 'poisson', threshold: 1 << 30 } }], routes: spec },
  ]);
}

const bounded = (img: ChipImage): number[] => Array.from(boundedGroups(img, cpuChipLayout(img).groupStart));

describe('boundedGroups', () => {
  it('bounds a slot by its weights times the routes to their axons, for each sign, up to STATE_MAX', () => {
    expect((BIG.weight << BIG.exp) + (SMALL.weight << SMALL.exp)).toBe(STATE_MAX - 511);
    // One route to each axon: both slots within the range; core 1's inputs are not neurons.
    expect(bounded(image([[0, 1, 2, 3]]))).toEqual([1, 1, 0, 0]);
    // A second route to axon 1 (from another input) adds SMALL to slot 0 again: group A is out, B in.
    expect(bounded(image([[0, 1, 2, 3], [1]]))).toEqual([0, 1, 0, 0]);
    // Two routes from one slot count twice as well; a second route to axon 3 takes B out.
    expect(bounded(image([[0, 1, 2, 3, 3]]))).toEqual([1, 0, 0, 0]);
  });

  it('takes a slot whose sum can reach STATE_MAX exactly, and not one more', () => {
    expect(bounded(image([[5, 6, 7, 8]]))).toEqual([1, 1, 0, 0]);
    expect(bounded(image([[5, 6, 7, 8, 9]]))).toEqual([1, 0, 0, 0]);
  });

  it('counts the routes to an axon up to 254, and takes 255 or more as no bound', () => {
    // Axon 9 adds 1 to slot 6: 254 routes to it keep slot 6 in range; at 255 the count stops and B is out.
    expect(bounded(image([Array<number>(254).fill(9)]))).toEqual([1, 1, 0, 0]);
    expect(bounded(image([Array<number>(255).fill(9)]))).toEqual([1, 0, 0, 0]);
  });

  it('counts only the axons a route reaches', () => {
    // Axon 4 adds BIG to slot 5 of group B: with a route to it and to axon 2, slot 5 holds BIG alone (in range)...
    expect(bounded(image([[4, 2]]))).toEqual([1, 1, 0, 0]);
    // ...and with a second route, twice BIG (out).
    expect(bounded(image([[4, 2], [4]]))).toEqual([1, 0, 0, 0]);
  });

  it('bounds no group of an image that learns (learning changes the weights)', () => {
    const img = image([[0]]);
    expect(bounded(img)).toEqual([1, 1, 0, 0]);
    expect(bounded({ ...img, learning: {} as NonNullable<ChipImage['learning']> })).toEqual([0, 0, 0, 0]);
  });
});
