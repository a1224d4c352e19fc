#!/bin/bash
# The case studies at full scale on one GPU, many runs at once: the diffusion bench alone first, then
# tools/full_scale.py with JOBS worker processes sharing the GPU through MPS (when the machine has it) until UNTIL
# seconds, results and cached rows packed into $OUT.
#
#     bash tools/gpu_full_scale.sh UNTIL JOBS STUDY ...     # e.g. 330 14 outliers imbalance synthetic_data
#     TOOL=tools/text_studies.py BENCH=0 bash tools/gpu_full_scale.sh UNTIL JOBS [STUDY ...]   # chapter 21's studies
#
# TOOL is the script given the studies (tools/full_scale.py; tools/text_studies.py takes the same OUT, STUDY, --jobs
# and --until); BENCH=0 skips the diffusion bench. The cache ($GENQ_CACHE, default .gpucache) is packed into
# $OUT/rows.tgz: unpack it into .gpucache and carry that into a later call, and the runs it holds are not made again.
#
# Wheels in .gpu/*.whl (say mlxtend, on a machine with no registry) are installed first. $OUT defaults to gpu_out;
# GENQ_COMMIT (for the provenance, where the copy has no .git) is read from .gpu/commit if it is there.
UNTIL=${1:?UNTIL seconds}; JOBS=${2:?JOBS}; shift 2; STUDIES="$*"
OUT=${OUT:-gpu_out}; mkdir -p "$OUT"
T0=$(date +%s); log() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
if compgen -G '.gpu/*.whl' >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/*.whl \
    || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD GENQ_QUICK=0 GENQ_CACHE=${GENQ_CACHE:-$PWD/.gpucache} PYTHONUNBUFFERED=1
[ -f .gpu/commit ] && export GENQ_COMMIT=$(cat .gpu/commit)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, genq.experiment as e; print('torch', torch.__version__, 'code', e.code_fingerprint())" \
  | tee -a "$OUT/gpu.txt"
TOOL=${TOOL:-tools/full_scale.py}
if [ "${BENCH:-1}" != 0 ]; then
  log bench; timeout 90 python3 bench/diffusion.py --steps 200 --repeats 2 | tee "$OUT/bench_diffusion.json"
fi
MPS=off
if command -v nvidia-cuda-mps-control >/dev/null; then
  nvidia-cuda-mps-control -d && timeout 60 python3 -c "import torch; torch.ones(1, device='cuda').sum().item()" && MPS=on
  [ $MPS = off ] && (echo quit | nvidia-cuda-mps-control)
fi
log "MPS $MPS" | tee -a "$OUT/gpu.txt"
nvidia-smi dmon -s u -d 5 > "$OUT/dmon.txt" 2>&1 & DMON=$!
log "full scale: $STUDIES, $JOBS jobs, until $UNTIL s"
OMP_NUM_THREADS=1 python3 "$TOOL" .gpuout $STUDIES --jobs "$JOBS" --until "$UNTIL" 2>&1 \
  | tee "$OUT/full_scale.log" | grep -v '^\s*$' | tail -60
kill $DMON; [ $MPS = on ] && (echo quit | nvidia-cuda-mps-control)
log packing
tar czf "$OUT/results.tgz" -C .gpuout .
(cd "$GENQ_CACHE" && { ls *.json 2>/dev/null; ls -d text 2>/dev/null; } | tar czf - -T -) > "$OUT/rows.tgz"
log done
