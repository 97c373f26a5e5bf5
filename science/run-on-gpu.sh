#!/bin/bash
# One run on a GPU machine that has python3 with PyTorch and torchaudio but no Node: unpack the carried
# node binary and eSpeak NG package, synthesise the study's corpora on every core, then pre-train and
# evaluate the variants named in $JOBS in parallel (one process each). Results (one JSON and one log per
# variant) go to $OUT/res.tgz, refreshed every 15 s so a run cut short still returns what it finished.
#   JOBS='run R2 --recorded 1 --normpix 1 --seed 1 --steps 5000 --depth 6 --ttt all@0.005x8,bias@0.05x8'
#   CONDS=clean,white10,white15,babble5,babble10,pink10  TCONDS=white10,white15,babble5,babble10,pink10
set -u
exec > >(tee "$OUT/run.log") 2>&1
T0=$(date +%s); el() { echo "[t=$(( $(date +%s) - T0 ))s] $*"; }
snap() { tar czf "$OUT/res.tgz" -C /tmp/r . 2>/dev/null; }
xz -dc .carry/node.xz > /tmp/node && chmod +x /tmp/node
mkdir -p node_modules/@echogarden && tar xJf .carry/espeak.tar.xz -C node_modules/@echogarden
if [ ! -f /tmp/corp/pool/manifest.csv ]; then
  el "synthesis"
  /tmp/node .carry/gen-corpora.mjs /tmp/corp "$(nproc)" task:1:6:20:2:10 style:3:12:24:1:1 "pool:2:99:${POOL_UTTERANCES:-12}:1:1" 2>&1 | tail -2
fi
el "corpora: $(wc -l /tmp/corp/*/manifest.csv | tail -1)"
mkdir -p /tmp/r
LEFT=$(( ${TOTAL:-560} - ($(date +%s) - T0) ))
COMMON="--root /tmp/corp --out /tmp/r --steps ${STEPS:-5000} --conds $CONDS --ttt-conds $TCONDS"
cd science
run() { name=$1; shift; OMP_NUM_THREADS=3 PYTHONUNBUFFERED=1 timeout "$LEFT" python3 scale.py --variant "$name" $COMMON "$@" > "/tmp/r/$name.log" 2>&1 & }
eval "$JOBS"
while [ -n "$(jobs -r)" ]; do sleep 15; snap; el "running: $(jobs -r | wc -l)"; done
snap; el "done"
