#!/usr/bin/env bash
# Run HERE (not on the GPU machine), from the repository root, before bench/gpu.sh is sent
# to a GPU machine with the device tool. It builds dist/ and packs into .gpu/ what the GPU
# machine lacks (it has no Node.js and fetches nothing): the node binary, the runtime
# node_modules (webgpu's linux-x64 dawn.node only, chevrotain, commander, ts-pattern) and dist/,
# about 35 MB compressed. Then run there, with carry [".gpu", ".gl"]:
#   bash bench/gpu.sh
# (.gl holds the Vulkan/EGL loader packages; see the device tool's README for the one-time
# download.) .gpu/ must be ignored by git: this script adds it to .git/info/exclude.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
npx tsc -p tsconfig.json
rm -rf .gpu && mkdir -p .gpu
tar -cJf .gpu/node.tar.xz -C "$(dirname "$(readlink -f "$(command -v node)")")" "$(basename "$(readlink -f "$(command -v node)")")"
tar -cJf .gpu/modules.tar.xz \
  node_modules/webgpu/index.js node_modules/webgpu/package.json node_modules/webgpu/dist/linux-x64 \
  node_modules/chevrotain node_modules/@chevrotain node_modules/lodash-es \
  node_modules/commander node_modules/ts-pattern node_modules/debug node_modules/ms \
  dist
du -sh .gpu
