#!/usr/bin/env bash
# The WebGPU-vs-CPU check and benchmark on a GPU machine (about 5 minutes). Prepare with
# bench/gpu-pack.sh here; run there from the repository root, carrying .gpu and .gl:
#   device run: bash bench/gpu.sh          carry: [".gpu", ".gl"]
# Where Node.js and node_modules exist (a developer's GPU box), it uses them and builds if needed.
# Prints, for the synfire example, a 1M-synapse network, a learning network (SBP with lateral
# terms and the delta rule, about 208,000 plastic synapses; MESO_BENCH_GPU_LEARN_N=400 sets its
# size) and a 100M-synapse network (3,052 cores on 24 loihi-like chips): steps/s and synaptic
# events/s of both backends, and whether every counter, cycle, per-step counter, spike count
# and learned weight agreed to the bit. The WebGPU backend times the steps (the NoC model) on
# up to 4 worker threads on a machine with 4 or more CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

# Vulkan and EGL loaders (the device README's .gl packages), and NVIDIA's ICD where it lives there.
if [ -d .gl ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi

if [ -f .gpu/modules.tar.xz ]; then
  mkdir -p /tmp/meso-node
  tar -xJf .gpu/node.tar.xz -C /tmp/meso-node
  export PATH="/tmp/meso-node:$PATH"
  tar -xJf .gpu/modules.tar.xz
elif [ ! -f dist/bench/run.js ]; then
  npx tsc -p tsconfig.json
fi
node --version
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true

# The 100M-synapse network: the CPU side builds it in seconds; 40 timed steps keep the CPU run near a minute.
export MESO_BENCH_GPU_SYNAPSES="${MESO_BENCH_GPU_SYNAPSES:-100000000}"
export MESO_BENCH_GPU_STEPS="${MESO_BENCH_GPU_STEPS:-40}"
mkdir -p "${OUT:-/tmp}"
timeout 270 node dist/bench/run.js --only webgpu --out "${OUT:-/tmp}/webgpu-bench.json" 2>&1 | grep -v '^Warning: maxDynamic'
echo "total $(( $(date +%s) - start )) s"
