// Finding a GPU for the webgpu backend through the `webgpu` npm package (Dawn).
// A hardware adapter on the default backend (Vulkan, Metal, D3D12) comes first;
// without one, Dawn's OpenGL ES backend on Mesa (llvmpipe without a GPU, as in
// CI) in WebGPU's compatibility mode. The package is imported lazily, so the
// CPU backend never loads the native module.

/** The packages the software (OpenGL ES on Mesa) path needs on Debian and Ubuntu. */
export const EGL_PACKAGES = 'libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri';

/** Why no adapter was found, and what to install: the message of `--backend webgpu` without one. */
export const NO_ADAPTER_HELP =
  `the webgpu backend found no GPU adapter. Without a GPU, install Mesa's EGL and GLES drivers ` +
  `(Debian/Ubuntu: apt-get install ${EGL_PACKAGES}) so that Dawn can run on llvmpipe; ` +
  `with a GPU, install its Vulkan driver and loader (libvulkan1). Or use --backend cpu.`;

/** Raised when the webgpu backend is asked for and no adapter exists (the CLI turns it into exit 1). */
export class WebGpuUnavailableError extends Error {
  constructor(readonly detail: string) {
    super(`${NO_ADAPTER_HELP}${detail ? ` (${detail})` : ''}`);
  }
}

/** Raised for an image the webgpu backend cannot run yet (the CLI turns it into exit 1 with the message). */
export class WebGpuUnsupportedError extends Error {}

export interface GpuHandle {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  /** Adapter name and driver, for reports and benchmarks. */
  readonly description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader): `--backend auto` does not pick it. */
  readonly software: boolean;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

function describe(adapter: GPUAdapter, backend: string): { description: string; software: boolean } {
  const info = adapter.info;
  const description = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' ');
  return { description: `${description} (${backend})`, software: info.isFallbackAdapter === true || SOFTWARE.test(description) };
}

/** Limits worth raising to the adapter's: large networks need big bindings and many storage buffers. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
] as const;

async function openDevice(adapter: GPUAdapter, backend: string): Promise<GpuHandle> {
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const device = await adapter.requestDevice({ requiredLimits });
  return { device, limits: device.limits, ...describe(adapter, backend) };
}

type Create = (flags: string[]) => GPU;

/** Dawn's GPU instances must outlive their adapters and devices: a collected instance takes them down with it. */
const instances: GPU[] = [];

async function loadDawn(): Promise<Create | string> {
  try {
    const mod = await import('webgpu');
    return (flags) => {
      const gpu = mod.create(flags);
      instances.push(gpu);
      return gpu;
    };
  } catch (err) {
    return `the webgpu package could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
}

let hardware: Promise<GpuHandle | string> | undefined;
let any: Promise<GpuHandle | string> | undefined;

async function findHardware(): Promise<GpuHandle | string> {
  const create = await loadDawn();
  if (typeof create === 'string') return create;
  try {
    const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) return 'no adapter on the default backend';
    const { software } = describe(adapter, 'default');
    if (software) return 'only a software adapter on the default backend';
    return await openDevice(adapter, 'default backend');
  } catch (err) {
    return `the default backend failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function findAny(): Promise<GpuHandle | string> {
  const first = await (hardware ??= findHardware());
  if (typeof first !== 'string') return first;
  const create = await loadDawn();
  if (typeof create === 'string') return create;
  try {
    // Mesa's EGL needs no display server on the surfaceless platform.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    const adapter = await create(['backend=opengles']).requestAdapter({ featureLevel: 'compatibility' });
    if (adapter !== null) return await openDevice(adapter, 'OpenGL ES, compatibility mode');
    // A software adapter on the default backend (lavapipe) is still a working GPU.
    const fallback = await create([]).requestAdapter();
    if (fallback !== null) return await openDevice(fallback, 'default backend');
    return `${first}; no adapter on OpenGL ES either`;
  } catch (err) {
    return `${first}; OpenGL ES failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** A hardware GPU, or undefined: what `--backend auto` asks. Probed once per process. */
export async function hardwareGpu(): Promise<GpuHandle | undefined> {
  const found = await (hardware ??= findHardware());
  return typeof found === 'string' ? undefined : found;
}

/** Any GPU (hardware first, then Mesa's llvmpipe), or the reason there is none. Opened once per process. */
export async function anyGpu(): Promise<GpuHandle | { readonly reason: string }> {
  const found = await (any ??= findAny());
  return typeof found === 'string' ? { reason: found } : found;
}
