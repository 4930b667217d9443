// Structured WebAssembly for kernels with real control flow (the NoC's, noc-wasm.ts;
// delivery by source, cpu/deliver-wasm.ts):
// named locals, expressions as instruction lists, and statements emitted in
// order with if, while and for, whose break and continue name their loop, so
// that no branch depth is counted by hand. The instructions are wasm-binary.ts's.
import { F64, I32, ops, type Code, type ValType, type WasmFunction } from './wasm-binary.js';

/** An i32 constant. */
export const i = (n: number): Code => ops.i32Const(n);

const binary =
  (op: Code) =>
  (a: Code, b: Code): Code => [...a, ...b, ...op];

/** i32 arithmetic, comparisons (signed) and bits, over two expressions. */
export const add = binary(ops.i32Add);
export const sub = binary(ops.i32Sub);
export const mul = binary(ops.i32Mul);
export const and = binary(ops.i32And);
export const or = binary(ops.i32Or);
export const shl = binary(ops.i32Shl);
export const eq = binary(ops.i32Eq);
export const ne = binary(ops.i32Ne);
export const lt = binary(ops.i32LtS);
export const gt = binary(ops.i32GtS);
export const le = binary(ops.i32LeS);
export const ge = binary(ops.i32GeS);
/** `cond ? a : b`, both evaluated (no branch). */
export const select = (a: Code, b: Code, cond: Code): Code => [...a, ...b, ...cond, ...ops.select];

/** The address of element `index` of an array at `base` of 4-, 2- and 8-byte elements. */
export const at4 = (base: Code, index: Code): Code => add(base, shl(index, i(2)));
export const at2 = (base: Code, index: Code): Code => add(base, shl(index, i(1)));
export const at8 = (base: Code, index: Code): Code => add(base, shl(index, i(3)));

/** Loads and stores at an address expression. */
export const load = (address: Code): Code => [...address, ...ops.i32Load(0)];
export const load16 = (address: Code): Code => [...address, ...ops.i32Load16U(0)];
export const store = (address: Code, value: Code): Code => [...address, ...value, ...ops.i32Store(0)];
export const loadF = (address: Code): Code => [...address, ...ops.f64Load(0)];
export const storeF = (address: Code, value: Code): Code => [...address, ...value, ...ops.f64Store(0)];
/** A double's add, and an i32 as a double. */
export const addF = binary(ops.f64Add);
export const subF = binary(ops.f64Sub);
export const toF = (a: Code): Code => [...a, ...ops.f64FromI32];
/** The double at `address` plus `value` (a double), stored back. */
export const addToF = (address: Code, value: Code): Code => storeF(address, addF(loadF(address), value));

/** Copies `bytes` from `source` to `destination` (ranges may overlap), and fills `bytes` at `destination` with `byte`. */
export const copy = (destination: Code, source: Code, bytes: Code): Code => [...destination, ...source, ...bytes, ...ops.memoryCopy];
export const fill = (destination: Code, byte: Code, bytes: Code): Code => [...destination, ...byte, ...bytes, ...ops.memoryFill];

/** A frame of the emitter's nesting: a loop's name for break (its outer block) and continue (its inner one). */
interface Frame {
  readonly label?: string;
  readonly role?: 'break' | 'continue';
}

/** What a function body is written with: its locals by name and its statements in order. */
export interface Emitter<N extends string> {
  get(name: N): Code;
  set(name: N, value: Code): void;
  tee(name: N, value: Code): Code;
  /** Appends statements (instruction lists that leave nothing on the stack). */
  emit(...code: Code[]): void;
  if(cond: Code, then: () => void, otherwise?: () => void): void;
  /** while (cond) body; break and continue by `label`. */
  while(cond: Code, body: () => void, label?: string): void;
  /** for (; cond; step) body: continue runs `step`. */
  for(cond: Code, step: () => void, body: () => void, label?: string): void;
  /** for (name = from; name < to; name++) body: `to` is read every turn; continue runs the increment. */
  upTo(name: N, from: Code, to: Code, body: () => void, label?: string): void;
  break(label: string): void;
  breakIf(label: string, cond: Code): void;
  continue(label: string): void;
  return(value?: Code): void;
}

/** A function of `params` and `locals` (names to types; all start at zero), written by `write`. */
export function wasmFunction<P extends string, L extends string>(
  name: string,
  params: Readonly<Record<P, ValType>>,
  locals: Readonly<Record<L, ValType>>,
  results: readonly ValType[],
  write: (w: Emitter<P | L>) => void,
): WasmFunction {
  const names = [...Object.keys(params), ...Object.keys(locals)] as (P | L)[];
  const index = new Map(names.map((n, k) => [n, k]));
  const slot = (n: P | L): number => {
    const k = index.get(n);
    if (k === undefined) throw new Error(`wasm-emitter: no local ${n} in ${name}`);
    return k;
  };
  const body: number[] = [];
  const frames: Frame[] = [];
  const depth = (label: string, role: Frame['role']): number => {
    for (let k = frames.length - 1; k >= 0; k--) if (frames[k].label === label && frames[k].role === role) return frames.length - 1 - k;
    throw new Error(`wasm-emitter: no loop ${label} around this ${role} in ${name}`);
  };
  const nest = (open: Code, frame: Frame, inner: () => void): void => {
    body.push(...open);
    frames.push(frame);
    inner();
    frames.pop();
    body.push(...ops.end);
  };
  const w: Emitter<P | L> = {
    get: (n) => ops.localGet(slot(n)),
    set: (n, value) => body.push(...value, ...ops.localSet(slot(n))),
    tee: (n, value) => [...value, ...ops.localTee(slot(n))],
    emit: (...code) => code.forEach((c) => body.push(...c)),
    if: (cond, then, otherwise) => {
      body.push(...cond, ...ops.if);
      frames.push({});
      then();
      if (otherwise) {
        body.push(...ops.else);
        otherwise();
      }
      frames.pop();
      body.push(...ops.end);
    },
    while: (cond, inner, label = '') =>
      nest(ops.block, { label, role: 'break' }, () =>
        nest(ops.loop, { label, role: 'continue' }, () => {
          body.push(...cond, ...ops.i32Eqz, ...ops.brIf(1));
          inner();
          body.push(...ops.br(0));
        }),
      ),
    for: (cond, step, inner, label = '') =>
      nest(ops.block, { label, role: 'break' }, () =>
        nest(ops.loop, {}, () => {
          body.push(...cond, ...ops.i32Eqz, ...ops.brIf(1));
          nest(ops.block, { label, role: 'continue' }, inner);
          step();
          body.push(...ops.br(0));
        }),
      ),
    upTo: (n, from, to, inner, label) => {
      w.set(n, from);
      w.for([...ops.localGet(slot(n)), ...to, ...ops.i32LtS], () => w.set(n, [...ops.localGet(slot(n)), ...ops.i32Const(1), ...ops.i32Add]), inner, label);
    },
    break: (label) => body.push(...ops.br(depth(label, 'break'))),
    breakIf: (label, cond) => body.push(...cond, ...ops.brIf(depth(label, 'break'))),
    continue: (label) => body.push(...ops.br(depth(label, 'continue'))),
    return: (value = []) => body.push(...value, ...ops.return),
  };
  write(w);
  const localTypes = Object.values(locals) as ValType[];
  return { name, params: Object.values(params) as ValType[], results, locals: localTypes.map((t) => [1, t] as const), body };
}

export { F64, I32 };
