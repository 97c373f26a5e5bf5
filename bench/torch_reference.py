#!/usr/bin/env python3
"""PyTorch reference of `npm run bench` (ttt-speech).

Builds the same ViT masked autoencoder as lib/model from a ttt-speech checkpoint folder
(model config from config.json, every tensor from manifest.json + weights.bin; shapes are
checked against the ones built here, so the architecture cannot silently differ), and times
the same cases as lib/bench on the CPU with random inputs of the model's shape:

  fbank-4s               Kaldi-style log-mel fbank of a 4 s clip (torchaudio's when installed)
  forward-per-sample     classifier forward, B=1, all patches, mean pooling, linear head
  ttt-all-per-sample     one TTT step: MAE loss + grads of every encoder tensor + SGD update
  ttt-bias-per-sample    the same for the encoder biases only (BitFit)
  ttt-bias-batched-B<n>  BitFit with one bias copy [B,1,d] per clip, sum of per-clip losses
  ttt-all-batched-B<n>   all-parameter TTT step of one copy shared by B clips, mean loss
  pretrain-step-B<n>     MAE pre-training step: encoder+decoder grads, clip 1, AdamW

--device cuda runs every case but the fbank on the GPU, eagerly (no compilation, as TF.js
runs op by op), and synchronises the device before the clock starts and after each call, so
a figure covers the call's GPU work. Masks are drawn on the CPU and uploaded, as lib/ does.

Every choice mirrors lib/: weights stored [in, out]; fused qkv laid out [q | k | v] with
heads of consecutive columns; pre-norm blocks, exact (erf) GELU, LayerNorm eps from the
config; visible patches are selected before the patch embedding (lib/model/encoder.ts does);
mask tokens appended and un-shuffled by a gather; loss = MSE over hidden patches, per clip.
TTT: SGD momentum 0.9, lr 5e-3 (all) / 0.2 (bias); the decoder and every matrix outside the
trained group are frozen (requires_grad False), as lib/ttt caches their transposes instead.

Threads: torch.set_num_threads(--threads), default 1, and the same for OpenMP and OpenBLAS
(set before torch loads): TF.js's wasm backend runs on one thread, and on the 2-core
development VM torch was also fastest with 1 thread.

BLAS: Debian's python3-torch calls whatever libblas.so.3 the system selects; with only the
reference BLAS (libblas3) a matrix product runs ~10x slower than with OpenBLAS
(`apt-get install libopenblas0-pthread`). The library in use is reported as info.blas.

Prints one JSON object on standard output: {"info": {...}, "cases": [{"case", "ms", "notes"}]}
(ms = median over --repeats runs after --warmup runs), and `done <case>` on standard error
after each case.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_from_argv(default=1):
    # Read before torch is imported: OpenBLAS and OpenMP size their pools when they load, and
    # torch.set_num_threads does not reach the OpenBLAS that Debian's torch calls through libblas.so.3.
    for i, arg in enumerate(sys.argv):
        if arg == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return str(default)


for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _threads_from_argv()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

FBANK_SECONDS = 4
SAMPLE_RATE = 16000
HEAD_CLASSES = 4
TTT_LR = {"all": 5e-3, "bias": 0.2}
TTT_MOMENTUM = 0.9
MASK_RATIO = 0.75
DEVICE = torch.device("cpu")  # set from --device in main()
PRETRAIN = {"lr": 1.5e-3, "betas": (0.9, 0.95), "weight_decay": 0.05, "clip": 1.0, "eps": 1e-8}


# ---------------------------------------------------------------- model parameters


def param_shapes(cfg):
    """Every parameter name and shape, in lib/model's naming ([in, out] weights)."""
    p2 = cfg["patchSize"] ** 2
    shapes = {}

    def dense(name, i, o):
        shapes[name + ".weight"] = (i, o)
        shapes[name + ".bias"] = (o,)

    def norm(name, d):
        shapes[name + ".weight"] = (d,)
        shapes[name + ".bias"] = (d,)

    def block(prefix, d):
        hidden = round(d * cfg["mlpRatio"])
        norm(prefix + ".norm1", d)
        dense(prefix + ".attn.qkv", d, 3 * d)
        dense(prefix + ".attn.proj", d, d)
        norm(prefix + ".norm2", d)
        dense(prefix + ".mlp.fc1", d, hidden)
        dense(prefix + ".mlp.fc2", hidden, d)

    d, dd = cfg["embedDim"], cfg["decoderEmbedDim"]
    dense("encoder.patchEmbed", p2, d)
    for i in range(cfg["depth"]):
        block(f"encoder.blocks.{i}", d)
    norm("encoder.norm", d)
    dense("decoder.embed", d, dd)
    shapes["decoder.maskToken"] = (1, 1, dd)
    for i in range(cfg["decoderDepth"]):
        block(f"decoder.blocks.{i}", dd)
    norm("decoder.norm", dd)
    dense("decoder.pred", dd, p2)
    return shapes


def load_parameters(folder, cfg, generator):
    """Parameters of the checkpoint in `folder`, checked against `param_shapes`; random ones without weights.bin."""
    shapes = param_shapes(cfg)
    manifest_path = os.path.join(folder, "manifest.json")
    weights_path = os.path.join(folder, "weights.bin")
    if not (os.path.exists(manifest_path) and os.path.exists(weights_path)):
        params = {n: torch.randn(s, generator=generator) * 0.02 for n, s in shapes.items()}
        return params, f"random weights of the checkpoint's config ({len(params)} tensors)"
    with open(manifest_path, encoding="utf8") as f:
        manifest = json.load(f)
    if sys.byteorder != "little":
        raise SystemExit("checkpoints are little-endian float32")
    with open(weights_path, "rb") as f:
        blob = bytearray(f.read())
    stored = {e["name"]: e for e in manifest["tensors"]}
    params = {}
    for name, shape in shapes.items():
        entry = stored.get(name)
        if entry is None:
            raise SystemExit(f"{folder} has no tensor {name}: the reference model does not match lib/model")
        if tuple(entry["shape"]) != tuple(shape):
            raise SystemExit(f"{name}: checkpoint [{entry['shape']}], reference {list(shape)}")
        values = torch.frombuffer(blob, dtype=torch.float32, count=entry["length"], offset=entry["offset"])
        params[name] = values.clone().reshape(shape)
    return params, f"all {len(params)} tensors of {os.path.basename(os.path.normpath(folder))} loaded, shapes match"


def sincos_position_embedding(width, time_patches, freq_patches):
    """lib/model/positions.ts: first half of a row encodes the time column, second half the frequency row."""
    out = torch.zeros(time_patches * freq_patches, width, dtype=torch.float64)
    half_width = width // 2

    def fill(row, offset, position):
        half = half_width // 2
        for i in range(half):
            omega = 1.0 / (10000 ** (i / half))
            out[row, offset + i] = math.sin(position * omega)
            out[row, offset + half + i] = math.cos(position * omega)

    for t in range(time_patches):
        for f in range(freq_patches):
            row = t * freq_patches + f
            fill(row, 0, t)
            fill(row, half_width, f)
    return out.float()


# ---------------------------------------------------------------- the network


def dense(x, p, name):
    w, b = p[name + ".weight"], p[name + ".bias"]
    # F.linear with a transposed view lets BLAS read the [in, out] weight as stored.
    if b.dim() == 1:
        return F.linear(x, w.t(), b)
    return F.linear(x, w.t()) + b  # per-clip bias [B, 1, d]


def layer_norm(x, p, name, eps):
    g, b = p[name + ".weight"], p[name + ".bias"]
    shape = (x.shape[-1],)
    if g.dim() == 1 and b.dim() == 1:
        return F.layer_norm(x, shape, g, b, eps)
    if g.dim() == 1:
        return F.layer_norm(x, shape, g, None, eps) + b  # BitFit: shared gamma, per-clip beta [B, 1, d]
    return F.layer_norm(x, shape, None, None, eps) * g + b


def attention(x, p, name, heads):
    batch, tokens, width = x.shape
    hd = width // heads
    qkv = dense(x, p, name + ".qkv").reshape(batch, tokens, 3, heads, hd).permute(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # [B, H, T, hd]
    weights = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (hd ** -0.5), dim=-1)
    out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, tokens, width)
    return dense(out, p, name + ".proj")


def block(x, p, name, heads, eps):
    x = x + attention(layer_norm(x, p, name + ".norm1", eps), p, name + ".attn", heads)
    h = layer_norm(x, p, name + ".norm2", eps)
    return x + dense(F.gelu(dense(h, p, name + ".mlp.fc1")), p, name + ".mlp.fc2")


def patchify(fbanks, size):
    batch, frames, mels = fbanks.shape
    tp, fp = frames // size, mels // size
    tiles = fbanks.reshape(batch * tp, size, fp, size).permute(0, 2, 1, 3)
    return tiles.reshape(batch, tp * fp, size * size)


class Model:
    def __init__(self, cfg, params):
        if cfg["clsToken"]:
            raise SystemExit("the reference implements models without a class token (the tiny preset)")
        self.cfg = cfg
        self.params = params
        tp, fp = cfg["inputFrames"] // cfg["patchSize"], cfg["melBins"] // cfg["patchSize"]
        self.num_patches = tp * fp
        self.keep = max(1, round(self.num_patches * (1 - MASK_RATIO)))
        self.pos_enc = sincos_position_embedding(cfg["embedDim"], tp, fp).to(DEVICE)
        self.pos_dec = sincos_position_embedding(cfg["decoderEmbedDim"], tp, fp).to(DEVICE)

    def encoder(self, p, patches, ids_keep=None):
        cfg = self.cfg
        if ids_keep is None:
            x = dense(patches, p, "encoder.patchEmbed") + self.pos_enc
        else:
            visible = torch.gather(patches, 1, ids_keep.unsqueeze(-1).expand(-1, -1, patches.shape[-1]))
            x = dense(visible, p, "encoder.patchEmbed") + self.pos_enc[ids_keep]
        for i in range(cfg["depth"]):
            x = block(x, p, f"encoder.blocks.{i}", cfg["numHeads"], cfg["layerNormEps"])
        return layer_norm(x, p, "encoder.norm", cfg["layerNormEps"])

    def decoder(self, p, latent, ids_restore):
        cfg = self.cfg
        x = dense(latent, p, "decoder.embed")
        batch, kept, width = x.shape
        tokens = p["decoder.maskToken"].expand(batch, self.num_patches - kept, width)
        x = torch.cat([x, tokens], 1)
        x = torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, width)) + self.pos_dec
        for i in range(cfg["decoderDepth"]):
            x = block(x, p, f"decoder.blocks.{i}", cfg["decoderNumHeads"], cfg["layerNormEps"])
        return dense(layer_norm(x, p, "decoder.norm", cfg["layerNormEps"]), p, "decoder.pred")

    def random_masking(self, batch, generator):
        noise = torch.rand(batch, self.num_patches, generator=generator)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        mask = torch.ones(batch, self.num_patches)
        mask[:, : self.keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        return ids_shuffle[:, : self.keep].to(DEVICE), ids_restore.to(DEVICE), mask.to(DEVICE)

    def mae_losses(self, p, fbanks, generator):
        """[B] per-clip MAE losses (mean squared error over the hidden patches)."""
        patches = patchify(fbanks, self.cfg["patchSize"])
        ids_keep, ids_restore, mask = self.random_masking(fbanks.shape[0], generator)
        pred = self.decoder(p, self.encoder(p, patches, ids_keep), ids_restore)
        target = patches
        if self.cfg["normPixLoss"]:
            mean = target.mean(-1, keepdim=True)
            var = target.var(-1, keepdim=True, unbiased=False)
            target = (target - mean) / (var + 1e-6).sqrt()
        per_patch = ((pred - target) ** 2).mean(-1)
        return (per_patch * mask).sum(1) / mask.sum(1).clamp(min=1)

    def classify(self, p, head, fbanks):
        tokens = self.encoder(p, patchify(fbanks, self.cfg["patchSize"]))
        return F.linear(tokens.mean(1), head[0].t(), head[1])


# ---------------------------------------------------------------- fbank


def kaldi_mel_banks(mel_bins, padded, sample_rate, low, high):
    """Kaldi's triangular filters on the mel scale (1127 ln(1 + f/700)), [mel_bins, padded/2 + 1]."""
    mel = lambda f: 1127.0 * math.log(1.0 + f / 700.0)
    nyquist = sample_rate / 2
    high = high if high > 0 else nyquist + high
    low_mel, high_mel = mel(low), mel(high)
    delta = (high_mel - low_mel) / (mel_bins + 1)
    bins = padded // 2
    fft_mel = torch.tensor([mel(sample_rate / padded * k) for k in range(bins)], dtype=torch.float64)
    banks = torch.zeros(mel_bins, bins + 1, dtype=torch.float64)
    for m in range(mel_bins):
        left, centre, right = low_mel + m * delta, low_mel + (m + 1) * delta, low_mel + (m + 2) * delta
        up = (fft_mel - left) / (centre - left)
        down = (right - fft_mel) / (right - centre)
        banks[m, :bins] = torch.clamp(torch.minimum(up, down), min=0)
    return banks.float()


class TorchFbank:
    """25 ms povey window, 10 ms hop, DC removal, pre-emphasis 0.97, 512-point rfft, 128 mel bins, log."""

    def __init__(self):
        self.window_size, self.hop, self.padded = 400, 160, 512
        self.window = torch.hann_window(self.window_size, periodic=False, dtype=torch.float64).pow(0.85).float()
        self.banks = kaldi_mel_banks(128, self.padded, SAMPLE_RATE, 20.0, 0.0).t().contiguous()  # [257, 128]
        self.floor = torch.finfo(torch.float32).eps

    def __call__(self, wave):
        frames = wave.unfold(0, self.window_size, self.hop)  # snip edges: whole frames only
        frames = frames - frames.mean(1, keepdim=True)
        shifted = torch.cat([frames[:, :1], frames[:, :-1]], 1)
        frames = (frames - 0.97 * shifted) * self.window
        power = torch.fft.rfft(frames, n=self.padded).abs().pow(2)
        return torch.matmul(power, self.banks).clamp(min=self.floor).log()


def fbank_function():
    try:
        import torchaudio.compliance.kaldi as kaldi  # noqa: PLC0415 (optional)

        def run(wave):
            return kaldi.fbank(wave.unsqueeze(0), num_mel_bins=128, frame_length=25.0, frame_shift=10.0, dither=0.0,
                               window_type="povey", sample_frequency=SAMPLE_RATE, low_freq=20.0, high_freq=0.0)

        return run, "torchaudio.compliance.kaldi.fbank"
    except ImportError:
        return TorchFbank(), "torch.fft.rfft Kaldi-style fbank (torchaudio not installed)"


# ---------------------------------------------------------------- cases


class Case:
    """One timed call (`run`), with untimed `reset` before it, and notes on how torch computed it."""

    def __init__(self, run, reset=None, notes=""):
        self.run, self.reset, self.notes = run, reset or (lambda: None), notes


def random_fbanks(model, batch, generator):
    return torch.randn(batch, model.cfg["inputFrames"], model.cfg["melBins"], generator=generator).to(DEVICE)


def fbank_case(model, generator):
    compute, how = fbank_function()
    wave = torch.randn(FBANK_SECONDS * SAMPLE_RATE, generator=generator) * 0.1

    def run():
        compute(wave)

    return Case(run, notes=how)


def forward_case(model, generator):
    head = ((torch.randn(model.cfg["embedDim"], HEAD_CLASSES, generator=generator) * 0.01).to(DEVICE), torch.zeros(HEAD_CLASSES, device=DEVICE))
    fbanks = random_fbanks(model, 1, generator)

    def run():
        with torch.no_grad():
            model.classify(model.params, head, fbanks)

    return Case(run)


def ttt_case(model, group, batch, generator, shared_clips=None):
    """One TTT step: MAE loss on a fresh mask, backward, SGD momentum. `batch` None: per-sample copies of the
    parameters' own shape, on one clip, or on `shared_clips` clips with the mean of their losses."""
    source = model.params
    trained_names = [n for n in source if n.startswith("encoder.") and (group == "all" or n.endswith(".bias"))]
    clips = batch or shared_clips or 1
    fbanks = random_fbanks(model, clips, generator)
    state = {}

    def reset():
        # Fresh copies from the source and a fresh optimizer before every step, as lib/bench does (untimed).
        p = dict(source)
        for n in trained_names:
            value = source[n] if batch is None else source[n].reshape(1, 1, -1).expand(batch, 1, -1)
            p[n] = value.clone().requires_grad_(True)
        state["params"] = p
        state["optimizer"] = torch.optim.SGD([p[n] for n in trained_names], lr=TTT_LR[group], momentum=TTT_MOMENTUM)

    def run():
        losses = model.mae_losses(state["params"], fbanks, generator)
        (losses.mean() if shared_clips else losses.sum()).backward()
        state["optimizer"].step()
        losses.detach().cpu().numpy()  # read back, as lib/ttt reads the losses

    reset()
    return Case(run, reset)


def pretrain_case(model, batch, generator):
    params = {n: t.clone().requires_grad_(True) for n, t in model.params.items()}
    decay = [t for n, t in params.items() if n.endswith(".weight") and t.dim() >= 2]
    no_decay = [t for n, t in params.items() if not (n.endswith(".weight") and t.dim() >= 2)]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": PRETRAIN["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=PRETRAIN["lr"], betas=PRETRAIN["betas"], eps=PRETRAIN["eps"],
    )
    everything = list(params.values())
    fbanks = random_fbanks(model, batch, generator)

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = model.mae_losses(params, fbanks, generator).mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(everything, PRETRAIN["clip"])
        optimizer.step()
        float(loss), float(norm)  # read back, as lib/train reads loss and norm

    return Case(run)


def make_case(name, model, generator):
    if name == f"fbank-{FBANK_SECONDS}s":
        # The fbank runs on the CPU in lib/ as well before the model sees it; on CUDA it is left out.
        return fbank_case(model, generator) if DEVICE.type == "cpu" else None
    if name == "forward-per-sample":
        return forward_case(model, generator)
    if name == "ttt-all-per-sample":
        return ttt_case(model, "all", None, generator)
    if name == "ttt-bias-per-sample":
        return ttt_case(model, "bias", None, generator)
    if name.startswith("ttt-bias-batched-B"):
        return ttt_case(model, "bias", int(name[len("ttt-bias-batched-B"):]), generator)
    if name.startswith("ttt-all-batched-B"):
        return ttt_case(model, "all", None, generator, shared_clips=int(name[len("ttt-all-batched-B"):]))
    if name.startswith("pretrain-step-B"):
        return pretrain_case(model, int(name[len("pretrain-step-B"):]), generator)
    return None


def blas_library():
    """The BLAS shared library this process has loaded (Debian's torch calls whichever libblas.so.3 the system selects)."""
    torch.matmul(torch.ones(8, 8), torch.ones(8, 8))
    try:
        with open("/proc/self/maps", encoding="utf8") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() or "mkl" in line.lower()}
    except OSError:
        return "unknown"
    paths = sorted(p for p in paths if p.startswith("/"))
    return ", ".join(os.path.realpath(p) for p in paths) or "built in"


def synchronise():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def time_case(case, warmup, repeats):
    for _ in range(warmup):
        case.reset()
        case.run()
    samples = []
    for _ in range(repeats):
        case.reset()
        synchronise()
        started = time.perf_counter()
        case.run()
        synchronise()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="ttt-speech checkpoint folder (config.json, manifest.json, weights.bin)")
    parser.add_argument("--cases", required=True, help="comma-separated case names")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    global DEVICE
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch finds no CUDA device")
    DEVICE = torch.device(args.device)

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set in this process
    generator = torch.Generator().manual_seed(args.seed)
    with open(os.path.join(args.checkpoint, "config.json"), encoding="utf8") as f:
        cfg = json.load(f)["model"]
    params, how = load_parameters(args.checkpoint, cfg, generator)
    params = {n: t.to(DEVICE) for n, t in params.items()}
    model = Model(cfg, params)

    results = []
    for name in [c for c in args.cases.split(",") if c]:
        case = make_case(name, model, generator)
        if case is not None:
            results.append({"case": name, "ms": time_case(case, args.warmup, args.repeats), "notes": case.notes})
        print(f"done {name}", file=sys.stderr, flush=True)
    info = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "warmup": args.warmup,
        "repeats": args.repeats,
        "model": how,
        "blas": blas_library(),
        "device": torch.cuda.get_device_name(DEVICE) if DEVICE.type == "cuda" else "cpu",
    }
    json.dump({"info": info, "cases": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
