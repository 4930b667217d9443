// The structured emitter (emulator/wasm-emitter.ts): loops whose break and
// continue name the loop they leave, through ifs and inner loops, against the
// same loops in JavaScript.
import { describe, expect, it } from 'vitest';
import { wasmModule } from '../../emulator/wasm-binary.js';
import { add, addF, eq, F64, ge, gt, i, I32, lt, mul, storeF, toF, wasmFunction } from '../../emulator/wasm-emitter.js';

/** In JavaScript: the same loops as the module's `walk`. */
function walk(n: number, limit: number): number {
  let sum = 0;
  outer: for (let a = 0; a < n; a++) {
    if (a % 3 === 0) continue;
    let b = 0;
    while (b < a) {
      b++;
      if (b === 2) continue;
      if (a * b > limit) break outer;
      if (b > 4) break;
      sum += a * b;
    }
  }
  return sum;
}

function instance(): { walk: (n: number, limit: number) => number; sum: (n: number) => number } {
  const walkFn = wasmFunction('walk', { n: I32, limit: I32 }, { a: I32, b: I32, sum: I32, r: I32 }, [I32], (w) => {
    w.upTo('a', i(0), w.get('n'), () => {
      // a % 3 by subtraction: the emitter has no remainder.
      w.set('r', w.get('a'));
      w.while(ge(w.get('r'), i(3)), () => w.set('r', add(w.get('r'), i(-3))));
      w.if(eq(w.get('r'), i(0)), () => w.continue('outer'));
      w.set('b', i(0));
      w.while(lt(w.get('b'), w.get('a')), () => {
        w.set('b', add(w.get('b'), i(1)));
        w.if(eq(w.get('b'), i(2)), () => w.continue('inner'));
        w.breakIf('outer', gt(mul(w.get('a'), w.get('b')), w.get('limit')));
        w.if(gt(w.get('b'), i(4)), () => w.break('inner'));
        w.set('sum', add(w.get('sum'), mul(w.get('a'), w.get('b'))));
      }, 'inner');
    }, 'outer');
    w.return(w.get('sum'));
  });
  // A double's running sum of 2^30 a turn, past what an i32 holds, stored at byte 0.
  const sumFn = wasmFunction('sum', { n: I32 }, { k: I32, x: F64 }, [], (w) => {
    w.upTo('k', i(0), w.get('n'), () => w.set('x', addF(w.get('x'), toF(i(2 ** 30)))));
    w.emit(storeF(i(0), w.get('x')));
  });
  const bytes = wasmModule(false, [walkFn, sumFn], []);
  const memory = new WebAssembly.Memory({ initial: 1 });
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
  const sum = exports.sum as (n: number) => void;
  return {
    walk: exports.walk as (n: number, limit: number) => number,
    sum: (n) => {
      sum(n);
      return new Float64Array(memory.buffer, 0, 1)[0];
    },
  };
}

describe('wasm-emitter', () => {
  it('breaks and continues the loop each names, through ifs and an inner loop, as JavaScript does', () => {
    const { walk: wasmWalk } = instance();
    for (const [n, limit] of [[0, 0], [5, 100], [12, 30], [30, 1000], [30, 25], [50, 10_000]] as const) expect(wasmWalk(n, limit)).toBe(walk(n, limit));
    // The cases differ: a break of the outer loop and one of the inner loop both change the sum.
    expect(new Set([walk(30, 1000), walk(30, 25), walk(50, 10_000)]).size).toBe(3);
  });

  it('keeps a running sum in an f64 local past 2^31', () => {
    const { sum } = instance();
    expect(sum(7)).toBe(7 * 2 ** 30);
    expect(sum(0)).toBe(0);
  });

  it('names the loop a break refers to, or refuses to assemble', () => {
    expect(() => wasmFunction<'x', 'a'>('bad', { x: I32 }, { a: I32 }, [], (w) => w.while(i(1), () => w.break('elsewhere'), 'here'))).toThrow(/no loop elsewhere/);
  });
});
