#!/bin/sh
# MIG, SAP and DCI of β-TCVAE against the plain VAE on the procedural colour
# set (shapes: 64×64×3, seven known factors), same code size, hidden width,
# data and epochs, one run per model and seed; prints one JSON line per run
# (latentkit eval on the 1,000 test shapes, plus the training's wall seconds).
# TC_ESTIMATOR picks β-TCVAE's estimate of log q(z): mws (weighted) or mss
# (stratified sampling). DATASET is shapes (64×64) or shapes:N (N×N, the same
# factors; shapes:32 trains four times faster). The defaults are the model
# defaults (hidden 400, batch 128, mws).
#
#   npx tsc -p tsconfig.build.json
#   sh bench/disentangle.sh [LIMIT] [EPOCHS] [SEEDS] [MODELS] [HIDDEN] [BATCH] [TC_ESTIMATOR] [DATASET]
#   # defaults 2000 10 "0 1 2" "vae btcvae" 400 128 mws shapes
set -e
LIMIT=${1:-2000}
EPOCHS=${2:-10}
SEEDS=${3:-0 1 2}
MODELS=${4:-vae btcvae}
HIDDEN=${5:-400}
BATCH=${6:-128}
TC_ESTIMATOR=${7:-mws}
DATASET=${8:-shapes}
CLI="node $(dirname "$0")/../bin/latentkit.js"
OUT=$(mktemp -d)
for seed in $SEEDS; do
  for model in $MODELS; do
    extra=""
    [ "$model" = btcvae ] && extra="--tc-estimator $TC_ESTIMATOR"
    start=$(date +%s)
    $CLI train --model "$model" $extra --dataset "$DATASET" --limit "$LIMIT" --hidden "$HIDDEN" --batch-size "$BATCH" --latent 10 --epochs "$EPOCHS" --seed "$seed" --out "$OUT/$model-$seed" --quiet >/dev/null
    seconds=$(($(date +%s) - start))
    printf '{"model":"%s","seed":%s,"train_seconds":%s,"eval":%s}\n' "$model" "$seed" "$seconds" "$($CLI eval --run "$OUT/$model-$seed" --json --quiet)"
  done
done
rm -rf "$OUT"
