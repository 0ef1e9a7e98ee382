#!/bin/sh
# A short vqvae on MNIST (8 code groups of 4 dims, 64 codes), then bench/vq_prior.js and a sample
# grid under each prior.   npx tsc -p tsconfig.build.json && sh bench/vq_prior.sh
set -e
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/vq-prior}
LIMIT=${LIMIT:-20000}
export LATENTKIT_DATA_DIR=${LATENTKIT_DATA_DIR:-/work/shared/data}
node bin/latentkit.js train --model vqvae --dataset mnist --latent 32 --code-groups 8 --codebook-size 64 \
  --epochs ${EPOCHS:-5} --limit $LIMIT --seed 0 --out $OUT --quiet
node bench/vq_prior.js $OUT $LIMIT
node bin/latentkit.js sample --run $OUT --n 64 --out $OUT/samples-autoregressive.png --quiet
node bin/latentkit.js sample --run $OUT-independent --n 64 --out $OUT/samples-independent.png --quiet
