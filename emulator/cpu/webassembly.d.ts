// The WebAssembly JavaScript API that the emulator's kernels use (emulator/cpu/lif-simd.ts, emulator/noc-wasm.ts).
// TypeScript declares it only in the DOM library, which this Node project leaves out.
declare namespace WebAssembly {
  interface MemoryDescriptor {
    readonly initial: number;
    readonly maximum?: number;
    readonly shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    /** Adds `delta` pages; gives back the old size in pages. */
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports: Readonly<Record<string, Readonly<Record<string, Memory>>>>);
    readonly exports: Readonly<Record<string, unknown>>;
  }
  class Global {
    value: number;
  }
  function validate(bytes: Uint8Array): boolean;
}
