#!/usr/bin/env python3
"""PyTorch reference for `npm run bench -- --conv`: latentkit's `--arch conv` VAE.

Encoder: L × (3×3 stride-2 conv, padding 1, ReLU) with --filters f1..fL, flatten,
dense --hidden (ReLU), heads mu and log_var (--latent). Decoder: dense --hidden
(ReLU), dense to the last map (ReLU), transposed 3×3 stride-2 convs (padding 1,
output_padding 1) back through f_{L-1}..f1 (ReLU) to the image's channels
(linear), Bernoulli likelihood on the logits. Loss = mean over the batch of
[BCE summed over pixels + KL], Adam lr 1e-3 (foreach), one thread.

TensorFlow's 'same' padding puts the extra zero of a stride-2 layer on the
bottom/right where PyTorch's padding=1 puts one on each side: same shapes and
work, another alignment. Images: float32 raw file --data (N×H×W×C, values in
[0, 1], written by bench/conv.js so both sides train on the same pixels), or
uniform random pixels without it.

    python3 bench/pytorch_conv_vae.py --shape 28,28,1 --batch-size 128 --steps 32
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvVae(nn.Module):
    def __init__(self, shape, filters, hidden, latent):
        super().__init__()
        h, w, c = shape
        d = 2 ** len(filters)
        self.inner = (filters[-1], -(-h // d), -(-w // d))
        self.shape = shape
        chans = [c] + filters
        self.convs = nn.ModuleList(nn.Conv2d(chans[i], chans[i + 1], 3, 2, 1) for i in range(len(filters)))
        flat = self.inner[0] * self.inner[1] * self.inner[2]
        self.enc = nn.Linear(flat, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.log_var = nn.Linear(hidden, latent)
        self.dec = nn.Linear(latent, hidden)
        self.project = nn.Linear(hidden, flat)
        back = filters[::-1] + [c]
        self.deconvs = nn.ModuleList(nn.ConvTranspose2d(back[i], back[i + 1], 3, 2, 1, output_padding=1) for i in range(len(filters)))

    def loss(self, x):
        # x: [b, h·w·c] (NHWC order) → [b, c, h, w]
        h, w, c = self.shape
        t = x.view(-1, h, w, c).permute(0, 3, 1, 2)
        for conv in self.convs:
            t = F.relu(conv(t))
        hid = F.relu(self.enc(t.flatten(1)))
        mu, log_var = self.mu(hid), self.log_var(hid)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        t = F.relu(self.project(F.relu(self.dec(z)))).view(-1, *self.inner)
        for i, deconv in enumerate(self.deconvs):
            t = deconv(t)
            if i < len(self.deconvs) - 1:
                t = F.relu(t)
        logits = t[:, :, :h, :w]
        target = x.view(-1, h, w, c).permute(0, 3, 1, 2)
        recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / x.shape[0]
        kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp()) / x.shape[0]
        return recon + kl


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default="28,28,1")
    parser.add_argument("--filters", default="32,64")
    parser.add_argument("--hidden", type=int, default=400)
    parser.add_argument("--latent", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=8)
    parser.add_argument("--data", help="float32 raw images N×H×W×C")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shape = tuple(int(s) for s in args.shape.split(","))
    features = shape[0] * shape[1] * shape[2]
    if args.data:
        images = torch.from_numpy(np.fromfile(args.data, dtype=np.float32).reshape(-1, features))
        source = "file"
    else:
        images = torch.rand(4096, features)
        source = "random"
    model = ConvVae(shape, [int(f) for f in args.filters.split(",")], args.hidden, args.latent)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)
    b = args.batch_size
    order = torch.randperm(images.shape[0])

    def step(i):
        start = (i * b) % max(1, images.shape[0] - b)
        x = images[order[start:start + b]]
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()
        return loss

    for i in range(args.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(args.steps):
        loss = step(args.warmup + i)
    loss.item()
    ms = (time.perf_counter() - t0) * 1000 / args.steps
    print(json.dumps({"backend": f"pytorch-{torch.__version__}-cpu-{args.threads}thread", "ms_per_step": round(ms, 2),
                      "steps": args.steps, "data": source,
                      "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
