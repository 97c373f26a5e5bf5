/**
 * WebGPU for Node through Dawn (the `webgpu` package): finds an adapter and hands exactly
 * that adapter to `@tensorflow/tfjs-backend-webgpu`, so what is logged is what computes.
 *
 * Hardware adapters come from Dawn's native API for the platform (Vulkan on Linux, Metal on
 * macOS, D3D12 on Windows). Software renderers (Mesa llvmpipe, lavapipe, SwiftShader) are
 * slower than the wasm backend for this library's small models, so they are used only when
 * the webgpu backend is asked for by name; then, with no hardware adapter, Mesa's renderer
 * is reached through Dawn's OpenGL ES backend on a headless EGL display.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The GPU adapter a webgpu backend runs on, as Dawn describes it. */
export interface GpuAdapterInfo {
  /** PCI vendor name or id as the driver reports it; empty for some drivers. */
  vendor: string;
  /** GPU family (e.g. `hopper`, `apple-7`); empty when the driver does not say. */
  architecture: string;
  /** Device name or id. */
  device: string;
  /** Driver description (name and version). */
  description: string;
  /** A CPU renderer (Mesa llvmpipe/lavapipe/softpipe, SwiftShader, or Dawn's fallback adapter). */
  software: boolean;
  /** Dawn flags the instance was created with (e.g. `backend=opengles`); empty for the platform default. */
  dawnFlags: string[];
  /** `core` WebGPU, or `compatibility` (needed by Dawn's OpenGL ES backend). */
  featureLevel: 'core' | 'compatibility';
}

/**
 * On Linux, whether any Vulkan driver is installed: the Vulkan loader finds drivers through
 * JSON manifests ("ICD files") in fixed folders or named by environment variables. Without
 * one, Dawn can find no hardware adapter, and asking it would only print its warnings on
 * every start of a machine without a GPU. Elsewhere (Metal, D3D12) there is nothing to check.
 */
export function hasVulkanDriver(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true;
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) return true;
  const home = env.HOME ?? '';
  const configDirs = [env.XDG_CONFIG_HOME ?? join(home, '.config'), ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'), '/etc'];
  const dataDirs = [env.XDG_DATA_HOME ?? join(home, '.local/share'), ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')];
  return [...configDirs, ...dataDirs].some((dir) => {
    try {
      return readdirSync(join(dir, 'vulkan', 'icd.d')).some((name) => name.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/** Minimal view of the WebGPU objects this module touches (the `webgpu` package types are optional). */
interface Adapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: Record<string, unknown>): Promise<Adapter | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** Extra Dawn flags for the platform-default instance, `;`-separated (e.g. `backend=vulkan`). */
export const DAWN_FLAGS_ENV = 'TTT_SPEECH_DAWN_FLAGS';

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer/i;

/** Whether Dawn's adapter description names a CPU renderer. */
export function isSoftwareAdapter(info: Pick<GpuAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>, fallbackFlag = false): boolean {
  return fallbackFlag || SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(' '));
}

function describe(adapter: Adapter, dawnFlags: string[], featureLevel: GpuAdapterInfo['featureLevel']): GpuAdapterInfo {
  const i = adapter.info ?? {};
  const base = { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '' };
  return { ...base, software: isSoftwareAdapter(base, Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter)), dawnFlags, featureLevel };
}

/** One line for logs: `vendor architecture device (description)`, blanks left out. */
export function formatAdapter(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const flags = info.dawnFlags.length ? `, Dawn ${info.dawnFlags.join(';')}` : '';
  return `${name} (${info.description || 'no driver description'}${info.software ? ', software renderer' : ''}${flags}, ${info.featureLevel})`;
}

/** The adapter found and the WebGPU entry point to install as `navigator.gpu`. */
interface Found {
  info: GpuAdapterInfo;
  gpu: { requestAdapter: () => Promise<Adapter> };
}

// Dawn instances are kept for the life of the process: letting the garbage collector free one
// (even one that found no adapter) crashed the process later on Mesa.
const instances: Gpu[] = [];

async function tryInstance(dawn: DawnModule, flags: string[], featureLevel: GpuAdapterInfo['featureLevel']): Promise<Found | string> {
  let gpu: Gpu;
  try {
    gpu = dawn.create(flags);
    instances.push(gpu);
  } catch (err) {
    return `Dawn${flags.length ? ` (${flags.join(';')})` : ''} would not start: ${err instanceof Error ? err.message : String(err)}`;
  }
  const options = featureLevel === 'compatibility' ? { featureLevel } : { powerPreference: 'high-performance' };
  const adapter = await gpu.requestAdapter(options);
  if (!adapter) return `Dawn${flags.length ? ` (${flags.join(';')})` : ''} found no ${featureLevel === 'compatibility' ? 'compatibility-mode ' : ''}adapter`;
  // TF.js asks for its adapter without a feature level; handing it this one keeps the choice (and compatibility mode).
  return { info: describe(adapter, flags, featureLevel), gpu: { requestAdapter: async () => adapter } };
}

/**
 * Finds a WebGPU adapter and installs it for `@tensorflow/tfjs-backend-webgpu` (which must be
 * imported afterwards: it registers itself only when `navigator.gpu` exists). Throws an error
 * whose message says why no adapter is usable. `allowSoftware`: accept a CPU renderer, and
 * look for Mesa's through OpenGL ES when no hardware adapter exists.
 */
export async function installWebGpu(importOptional: (name: string) => Promise<Record<string, unknown>>, allowSoftware: boolean): Promise<GpuAdapterInfo> {
  const userFlags = (process.env[DAWN_FLAGS_ENV] ?? '').split(';').map((f) => f.trim()).filter(Boolean);
  const platformDefault = userFlags.length > 0 || hasVulkanDriver();
  if (!platformDefault && !allowSoftware) throw new Error('no Vulkan driver is installed (no ICD file in the vulkan/icd.d folders), so there is no GPU adapter');
  const dawn = (await importOptional('webgpu')) as unknown as DawnModule;
  if (typeof dawn.create !== 'function') throw new Error("the 'webgpu' package loaded but has no create()");
  Object.assign(globalThis, dawn.globals);
  const reasons: string[] = [];
  let found = platformDefault ? await tryInstance(dawn, userFlags, 'core') : 'no Vulkan driver is installed';
  if (typeof found !== 'string' && found.info.software && !allowSoftware) {
    throw new Error(`only a software adapter was found (${formatAdapter(found.info)}); it is slower than wasm here, set TTT_SPEECH_BACKEND=webgpu to use it anyway`);
  }
  if (typeof found === 'string' && allowSoftware) {
    reasons.push(found);
    // Mesa's software renderer through EGL without a display: Dawn's OpenGL ES backend needs
    // compatibility mode, and EGL needs to be told there is no window system.
    process.env.EGL_PLATFORM ??= 'surfaceless';
    found = await tryInstance(dawn, ['backend=opengles'], 'compatibility');
  }
  if (typeof found === 'string') {
    reasons.push(found);
    const driver =
      process.platform === 'linux'
        ? 'Linux needs the Vulkan loader (libvulkan1) and the GPU vendor\'s Vulkan driver'
        : process.platform === 'darwin'
          ? 'macOS needs a Metal GPU'
          : 'Windows needs a GPU driver with Direct3D 12';
    const hint = allowSoftware && process.platform === 'linux'
      ? `${driver}; for the CPU-only path install Mesa (Debian: libvulkan1 libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)`
      : driver;
    throw new Error(`no WebGPU adapter: ${reasons.join('; ')}; ${hint}`);
  }
  const nav = ((globalThis as { navigator?: object }).navigator ??= {}) as object;
  Object.defineProperty(nav, 'gpu', { value: found.gpu, configurable: true, writable: true });
  return found.info;
}
