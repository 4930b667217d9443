// The most a neuron's delay slots can hold in a step (emulator/cpu/input-bound.ts): each slot's weights
// times the routes to their axons, for either sign, the largest of each group.
import { describe, expect, it } from 'vitest';
import { cpuChipLayout } from '../../../emulator/cpu/cpu.js';
import { inputBounds } from '../../../emulator/cpu/input-bound.js';
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

/** Per group of the image (core 0's A, B and inputs, core 1's inputs): [excitatory, inhibitory] bounds. */
const bounds = (img: ChipImage): number[][] => {
  const { excitatory, inhibitory } = inputBounds(img, cpuChipLayout(img).groupStart);
  return Array.from(excitatory, (e, g) => [e, inhibitory[g]]);
};
const TWO = (BIG.weight << BIG.exp) + (SMALL.weight << SMALL.exp);

describe('inputBounds', () => {
  it('bounds a slot by its weights times the routes to their axons, for each sign, the largest of a group', () => {
    expect(TWO).toBe(STATE_MAX - 511);
    // One route to each axon: slot 0 of A takes both positive weights, slot 4 of B both negative; inputs have none.
    expect(bounds(image([[0, 1, 2, 3]]))).toEqual([[TWO, 0], [0, TWO], [0, 0], [0, 0]]);
    // A second route to axon 1 (from another input) adds SMALL to slot 0 again.
    expect(bounds(image([[0, 1, 2, 3], [1]]))[0]).toEqual([TWO + (SMALL.weight << SMALL.exp), 0]);
    // Two routes from one slot count twice as well.
    expect(bounds(image([[0, 1, 2, 3, 3]]))[1]).toEqual([0, TWO + (SMALL.weight << SMALL.exp)]);
  });

  it('sums a slot to STATE_MAX exactly, and one more', () => {
    expect(bounds(image([[5, 6, 7, 8]]))[1]).toEqual([STATE_MAX, 0]);
    expect(bounds(image([[5, 6, 7, 8, 9]]))[1]).toEqual([STATE_MAX + 1, 0]);
  });

  it('counts the routes to an axon up to 254, and takes 255 or more as no bound', () => {
    // Axon 9 adds 1 to slot 6.
    expect(bounds(image([Array<number>(254).fill(9)]))[1]).toEqual([254, 0]);
    expect(bounds(image([Array<number>(255).fill(9)]))[1]).toEqual([Infinity, 0]);
  });

  it('counts only the axons a route reaches', () => {
    // Axon 4 adds BIG to slot 5 of group B, axon 2 takes BIG from slot 4: B's largest of each sign.
    expect(bounds(image([[4, 2]]))[1]).toEqual([BIG.weight << BIG.exp, BIG.weight << BIG.exp]);
    expect(bounds(image([[4, 2], [4]]))[1]).toEqual([2 * (BIG.weight << BIG.exp), BIG.weight << BIG.exp]);
  });

  it('bounds no group of an image that learns (learning changes the weights)', () => {
    const img = image([[0]]);
    expect(bounds(img)[0]).toEqual([BIG.weight << BIG.exp, 0]);
    expect(bounds({ ...img, learning: {} as NonNullable<ChipImage['learning']> })).toEqual(Array.from({ length: 4 }, () => [Infinity, Infinity]));
  });
});
