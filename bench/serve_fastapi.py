"""The reference service a Python user would write: FastAPI + uvicorn + PyTorch,
serving the same VAE (weights read from a latentkit run folder) with the same
JSON bodies as `latentkit serve`'s /v1/encode and /v1/score.

    python3 bench/serve_fastapi.py --run RUN --port 8001
"""
import argparse
import json
import os

import numpy as np
import torch
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


def load_weights(folder):
    """tfjs layers weights: one or more shards, tensors in manifest order."""
    manifest = json.load(open(os.path.join(folder, "model.json")))["weightsManifest"]
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(folder, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"]))
            weights[w["name"]] = torch.from_numpy(np.frombuffer(data, np.float32, n, offset).reshape(w["shape"]).copy())
            offset += 4 * n
    return weights


def dense(weights, name):
    kernel, bias = weights[f"{name}/kernel"], weights[f"{name}/bias"]
    layer = torch.nn.Linear(kernel.shape[0], kernel.shape[1])
    with torch.no_grad():
        layer.weight.copy_(kernel.T)  # tfjs keeps [in, out]; torch [out, in]
        layer.bias.copy_(bias)
    return layer


ACTIVATIONS = {"relu": torch.nn.ReLU, "leaky-relu": lambda: torch.nn.LeakyReLU(0.2), "tanh": torch.nn.Tanh, "elu": torch.nn.ELU}


class Vae(torch.nn.Module):
    def __init__(self, run):
        super().__init__()
        config = json.load(open(os.path.join(run, "config.json")))["model"]
        act = ACTIVATIONS[config["activation"]]
        enc = load_weights(os.path.join(run, "model", "encoder"))
        dec = load_weights(os.path.join(run, "model", "decoder"))
        depth = len(config["hidden"])
        self.encoder = torch.nn.Sequential(*[m for i in range(depth) for m in (dense(enc, f"encoder_dense{i + 1}"), act())])
        self.mu = dense(enc, "mu")
        self.decoder = torch.nn.Sequential(*[m for i in range(depth) for m in (dense(dec, f"decoder_dense{i + 1}"), act())], dense(dec, "decoder_preact"))

    def encode(self, x):
        return self.mu(self.encoder(x))

    def recon_scores(self, x):
        """Bernoulli reconstruction error of decode(E[z|x]): BCE summed over pixels."""
        logits = self.decoder(self.encode(x))
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)


class Rows(BaseModel):
    inputs: list[list[float]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = Vae(args.run).eval()
    threshold = json.load(open(os.path.join(args.run, "detector.json")))["threshold"]
    app = FastAPI()

    @app.post("/v1/encode")
    def encode(body: Rows):
        with torch.no_grad():
            return {"codes": model.encode(torch.tensor(body.inputs)).tolist()}

    @app.post("/v1/score")
    def score(body: Rows):
        with torch.no_grad():
            scores = model.recon_scores(torch.tensor(body.inputs)).tolist()
        return {"scores": scores, "is_anomaly": [s > threshold for s in scores], "threshold": threshold}

    @app.get("/healthz")
    def health():
        return {"status": "ok"}

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
