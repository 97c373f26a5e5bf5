#!/bin/bash
# Runs the packed ttt-speech CLI (bench/gpu/pack.mjs) on a Linux x64 machine with no Node.js.
# Usage, from the folder holding the pack (or with CARRY=that folder):
#   bash run.sh [ttt-speech arguments]      default: the GPU benchmark, results to $OUT (or ./out)
# The Vulkan loader travels as libvulkan1.deb (unpacked with dpkg -x, no install) when the
# machine lacks one; the GPU driver's own Vulkan ICD must be installed there (NVIDIA's is part of
# its driver). Everything is unpacked under $WORK (default /tmp/ttt-speech).
set -euo pipefail
CARRY=${CARRY:-$(cd "$(dirname "$0")" && pwd)}
WORK=${WORK:-/tmp/ttt-speech}
OUT=${OUT:-$PWD/out}
mkdir -p "$WORK" "$OUT"

if [ ! -x "$WORK/node" ]; then
  xz -dc "$CARRY/node.xz" > "$WORK/node" && chmod +x "$WORK/node"
  tar -C "$WORK" -xJf "$CARRY/node_modules.tar.xz"
  cp "$CARRY/ttt-speech.mjs" "$WORK/"
  cp -r "$CARRY/root" "$WORK/root"
fi
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1' && [ -f "$CARRY/libvulkan1.deb" ]; then
  dpkg -x "$CARRY/libvulkan1.deb" "$WORK/vulkan"
  export LD_LIBRARY_PATH="$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export TTT_SPEECH_ROOT="$WORK/root" TTT_SPEECH_PROGRESS=${TTT_SPEECH_PROGRESS:-off}

if [ $# -gt 0 ]; then
  exec "$WORK/node" "$WORK/ttt-speech.mjs" "$@"
fi

# Default: the benchmark on the GPU through WebGPU (large-batch cases included), with the
# PyTorch reference on CUDA when python3 has torch with CUDA, else on the CPU.
DEVICE=cpu
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then DEVICE=cuda; fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/nvidia-smi.csv" 2>/dev/null || true
"$WORK/node" "$WORK/ttt-speech.mjs" bench --backend webgpu --large-batches --torch-device "$DEVICE" \
  --out "$OUT/bench-webgpu.json" 2>&1 | tee "$OUT/bench-webgpu.log"
