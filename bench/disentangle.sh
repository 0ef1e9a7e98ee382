#!/bin/sh
# MIG, SAP and DCI of β-TCVAE against the plain VAE on the procedural colour
# set (shapes: 64×64×3, seven known factors), same code size, data and epochs,
# one run per model and seed; prints one JSON line per run (latentkit eval).
#
#   npx tsc -p tsconfig.build.json
#   sh bench/disentangle.sh [LIMIT] [EPOCHS] [SEEDS] [MODELS]    # defaults 2000 10 "0 1 2" "vae btcvae"
set -e
LIMIT=${1:-2000}
EPOCHS=${2:-10}
SEEDS=${3:-0 1 2}
MODELS=${4:-vae btcvae}
CLI="node $(dirname "$0")/../bin/latentkit.js"
OUT=$(mktemp -d)
for seed in $SEEDS; do
  for model in $MODELS; do
    $CLI train --model "$model" --dataset shapes --limit "$LIMIT" --latent 10 --epochs "$EPOCHS" --seed "$seed" --out "$OUT/$model-$seed" --quiet >/dev/null
    printf '{"model":"%s","seed":%s,"eval":%s}\n' "$model" "$seed" "$($CLI eval --run "$OUT/$model-$seed" --json --quiet)"
  done
done
rm -rf "$OUT"
