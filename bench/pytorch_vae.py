#!/usr/bin/env python3
"""PyTorch reference for `npm run bench`: the same VAE, batch, loss and optimizer.

784-400-20 MLP VAE (ReLU, Bernoulli decoder on logits), loss = mean over the
batch of [BCE summed over pixels + KL(q(z|x) || N(0, I))], Adam lr 1e-3,
batch 128, one thread. Trains for --steps steps after --warmup steps and prints
one JSON line in the format of bench/run.js.

Data: MNIST training images from $LATENTKIT_DATA_DIR (IDX files) when present,
otherwise uniform random pixels of the same shape (the step time does not
depend on the pixel values).

    python3 bench/pytorch_vae.py --steps 100
"""
import argparse
import gzip
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Vae(nn.Module):
    def __init__(self, dim=784, hidden=400, latent=20):
        super().__init__()
        self.enc = nn.Linear(dim, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.out = nn.Linear(hidden, dim)

    def loss(self, x):
        h = F.relu(self.enc(x))
        mu, log_var = self.mu(h), self.log_var(h)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        logits = self.out(F.relu(self.dec(z)))
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / x.shape[0]
        return recon + kl

    def encode(self, x):
        return self.mu(F.relu(self.enc(x)))

    def decode(self, z):
        return torch.sigmoid(self.out(F.relu(self.dec(z))))


def find_mnist():
    root = os.environ.get("LATENTKIT_DATA_DIR")
    if not root:
        return None
    for folder in (os.path.join(root, "mnist"), root):
        for name in ("train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    return None


def load_images():
    path = find_mnist()
    if path is None:
        return torch.rand(60000, 784), "random"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    images = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(-1, 784)
    return images.float() / 255.0, "mnist"


THREADS = 1


def peak_rss_mib():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def line(name, ms, examples, extra=None):
    row = {"name": name, "backend": f"pytorch-{torch.__version__}-cpu-{THREADS}thread", "ms_per_step": round(ms, 2),
           "examples_per_second": round(examples * 1000 / ms), "peak_rss_mib": peak_rss_mib()}
    row.update(extra or {})
    print(json.dumps(row), flush=True)


def iwae_log_likelihood(model, x, samples, chunk):
    """log p̂_K(x) per example as latentkit computes it: K draws decoded `chunk` at a time, [b·chunk, 784] per product."""
    h = F.relu(model.enc(x))
    mu, log_var = model.mu(h), model.log_var(h)
    b, latent = mu.shape
    log_weights = []
    for _ in range(0, samples, chunk):
        eps = torch.randn(b, chunk, latent)
        std = torch.exp(0.5 * log_var).unsqueeze(1)
        z = mu.unsqueeze(1) + std * eps
        log_q = -0.5 * (eps.pow(2) + log_var.unsqueeze(1) + math.log(2 * math.pi)).sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        logits = model.out(F.relu(model.dec(z.reshape(b * chunk, latent))))
        target = x.repeat_interleave(chunk, dim=0)
        log_px = -F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1).reshape(b, chunk)
        log_weights.append(log_px + log_pz - log_q)
    w = torch.cat(log_weights, 1)
    return torch.logsumexp(w, 1) - math.log(samples)


def timed_ms(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) * 1000 / repeats


def inference(model, images):
    """Encode 10,000 images in batches of 1000, decode 1,000 codes, IWAE K=1000 of 16 images, as bench/run.js does."""
    with torch.no_grad():
        x = images[:10000]

        def encode_all():
            for start in range(0, 10000, 1000):
                model.encode(x[start:start + 1000])

        line("encode batch 1000", timed_ms(encode_all, 1, 1) / 10, 1000)
        z = torch.randn(1000, 20)
        line("decode batch 1000", timed_ms(lambda: model.decode(z), 20, 10), 1000)
        few, samples = images[:16], 1000
        ms = timed_ms(lambda: iwae_log_likelihood(model, few, samples, 250), 3, 1) / few.shape[0]
        line(f"iwae K={samples} (ms per example)", ms, 1, {"decoded_per_second": round(samples * 1000 / ms)})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--train-only", action="store_true", help="only the training measurement")
    parser.add_argument("--inference-only", action="store_true", help="only encode, decode and IWAE (untrained weights)")
    parser.add_argument("--foreach", action="store_true", help="Adam(foreach=True): the multi-tensor update")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    global THREADS
    THREADS = args.threads
    torch.manual_seed(0)
    images, source = load_images()
    model = Vae()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True if args.foreach else None)
    b = args.batch_size
    order = torch.randperm(images.shape[0])

    def step(i):
        start = (i * b) % (images.shape[0] - b)
        x = images[order[start:start + b]]
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()
        return loss

    if args.inference_only:
        inference(model, images)
        return
    for i in range(args.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(args.steps):
        loss = step(args.warmup + i)
    loss.item()
    ms = (time.perf_counter() - t0) * 1000 / args.steps
    line(f"train vae 784-400-20 batch {b}", ms, b, {"steps": args.steps, "data": source, "adam": "foreach" if args.foreach else "default"})
    if args.train_only:
        return

    inference(model, images)

if __name__ == "__main__":
    sys.exit(main())
