#!/usr/bin/env python3
"""Scale / realism / loss levers for TTT on the offline corpus (GPU, batched).

Corpora (made by gen.mjs): task (seed 1, 24 speakers x 20, babble 8 x 10), style (seed 3, 48 speakers),
pool (seed 2, many speakers; pre-training only). Everything on the GPU: a recording chain (room, colour,
background floor), test noise (white / babble / brown at an SNR on active speech), a batched Kaldi-style
fbank, the tiny MAE (pretrain_probe.MAE), ridge probes, per-clip TTT (all / bias) with paired bootstrap.
"""
import argparse, csv, json, math, os, sys, time, wave
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mae as PP  # noqa: E402
from torchaudio.compliance.kaldi import get_mel_banks  # noqa: E402

SR, FRAMES, MELS, PS = 16000, 256, 128, 16
WIN, HOP, NFFT = 400, 160, 512
CLIP_SAMPLES = WIN + HOP * (FRAMES - 1)  # 2.555 s -> exactly 256 frames
dev = "cuda" if torch.cuda.is_available() else "cpu"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ------------------------------------------------------------------ data


def load_corpus(root):
    rows = list(csv.DictReader(open(os.path.join(root, "manifest.csv"))))
    audio = []
    for r in rows:
        with wave.open(os.path.join(root, r["path"]), "rb") as w:
            audio.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0)
    return rows, audio


def to_batch(audio, length=None):
    """List of 1-D arrays -> [N, L] zero-padded tensor + lengths (on dev)."""
    L = length or max(len(a) for a in audio)
    X = torch.zeros(len(audio), L)
    n = torch.tensor([min(len(a), L) for a in audio])
    for i, a in enumerate(audio):
        X[i, : n[i]] = torch.from_numpy(a[:L])
    return X.to(dev), n.to(dev)


# ------------------------------------------------------------------ fbank (Kaldi-like, batched)

_MEL = None
_WINDOW = None


def fbank(x):
    """[B, L] waveforms (L >= WIN) -> [B, T, 128] log-mel (povey window, preemph .97, DC removal, 512 FFT)."""
    global _MEL, _WINDOW
    if _MEL is None:
        bins, _ = get_mel_banks(MELS, NFFT, float(SR), 20.0, 0.0, 100.0, -500.0, 1.0)
        _MEL = F.pad(bins, (0, 1)).to(dev).float()  # [128, 257]
        _WINDOW = (torch.hann_window(WIN, periodic=False, dtype=torch.float64) ** 0.85).float().to(dev)
    fr = x.unfold(1, WIN, HOP)  # [B, T, 400]
    fr = fr - fr.mean(-1, keepdim=True)
    fr = torch.cat([fr[..., :1] * (1 - 0.97), fr[..., 1:] - 0.97 * fr[..., :-1]], -1)
    fr = fr * _WINDOW
    spec = torch.fft.rfft(fr, NFFT).abs() ** 2  # [B, T, 257]
    mel = spec @ _MEL.T
    return torch.log(torch.clamp(mel, min=1.1920928955078125e-07))


def active_power(x, n):
    """Mean power over 20 ms frames within 30 dB of the loudest frame (lib/audio/level.ts); x [B, L]."""
    fl = 320
    L = (x.shape[1] // fl) * fl
    p = (x[:, :L] ** 2).reshape(x.shape[0], -1, fl).mean(-1)
    valid = (torch.arange(p.shape[1], device=dev)[None] * fl) < n[:, None]
    p = torch.where(valid, p, torch.zeros_like(p))
    thr = p.max(1, keepdim=True).values * 10 ** (-3.0)
    act = (p > 0) & (p >= thr)
    return (p * act).sum(1) / act.sum(1).clamp(min=1)


def mix(x, n, noise, snr_db):
    """Adds noise [B, L] to x at snr_db (tensor [B] or float) on active speech power; zero outside the clip."""
    valid = (torch.arange(x.shape[1], device=dev)[None] < n[:, None]).float()
    noise = noise * valid
    np_ = (noise ** 2).sum(1) / n.float()
    snr = torch.as_tensor(snr_db, device=dev, dtype=torch.float32).expand(x.shape[0])
    g = torch.sqrt(active_power(x, n) / (np_ * 10 ** (snr / 10)).clamp(min=1e-20))
    y = x + noise * g[:, None]
    peak = y.abs().amax(1, keepdim=True).clamp(min=1.0)
    return y / peak


def spectral_noise(B, L, gen, slope=None, eq=None):
    """Gaussian noise shaped in frequency: power ~ f^slope (slope [B]) times an optional dB curve eq [B, F]."""
    w = torch.randn(B, L, generator=gen, device=dev)
    W = torch.fft.rfft(w)
    f = torch.fft.rfftfreq(L, 1 / SR).to(dev).clamp(min=20.0)
    shape = torch.ones(B, f.shape[0], device=dev)
    if slope is not None:
        shape = shape * (f[None] / 1000.0) ** (slope[:, None] / 2)
    if eq is not None:
        shape = shape * 10 ** (eq / 20)
    return torch.fft.irfft(W * shape, L)


def smooth_eq(B, nfreq, gen, depth_db):
    """Random smooth gain curve in dB on a log-frequency axis: 4 cosine terms."""
    f = torch.fft.rfftfreq((nfreq - 1) * 2, 1 / SR).to(dev).clamp(min=20.0)
    u = torch.log2(f / 20.0) / math.log2(8000 / 20.0)  # 0..1
    curve = torch.zeros(B, nfreq, device=dev)
    for k in range(1, 5):
        a = (torch.rand(B, 1, generator=gen, device=dev) * 2 - 1) * depth_db / k
        ph = torch.rand(B, 1, generator=gen, device=dev) * 2 * math.pi
        curve = curve + a * torch.cos(math.pi * k * u[None] + ph)
    return curve


def record(x, n, gen, talkers, floor_snr=(20.0, 40.0), rt60=(0.15, 0.7), colour_db=6.0, p_babble=0.3):
    """The recording chain on [B, L] clips: room impulse response, microphone colouration, background floor."""
    B, L = x.shape
    # room: direct path + exponentially decaying noise tail with the drawn RT60 and direct-to-reverberant ratio
    R = 6000
    t = torch.arange(R, device=dev) / SR
    rt = rt60[0] + (rt60[1] - rt60[0]) * torch.rand(B, 1, generator=gen, device=dev)
    tail = torch.randn(B, R, generator=gen, device=dev) * torch.exp(-6.9078 * t[None] / rt)
    tail[:, :16] = 0
    drr_db = 2 + 10 * torch.rand(B, 1, generator=gen, device=dev)
    tail = tail / tail.pow(2).sum(1, keepdim=True).sqrt() * 10 ** (-drr_db / 20)
    h = tail
    h[:, 0] = h[:, 0] + 1.0
    nfft = 1 << (L + R - 1).bit_length()
    y = torch.fft.irfft(torch.fft.rfft(x, nfft) * torch.fft.rfft(h, nfft), nfft)[:, :L]
    # microphone / channel colouration (zero phase)
    Y = torch.fft.rfft(y)
    eq = smooth_eq(B, Y.shape[1], gen, colour_db)
    f = torch.fft.rfftfreq(L, 1 / SR).to(dev)
    hp = 60 + 140 * torch.rand(B, 1, generator=gen, device=dev)
    eq = eq + 20 * torch.log10(1 / torch.sqrt(1 + (hp / f.clamp(min=1)[None]) ** 4))
    y = torch.fft.irfft(Y * 10 ** (eq / 20), L)
    y = y * (torch.arange(L, device=dev)[None] < n[:, None])
    # background floor: coloured noise (slope -2..+0.5) or distant babble
    slope = -2.0 + 2.5 * torch.rand(B, generator=gen, device=dev)
    bg = spectral_noise(B, L, gen, slope, smooth_eq(B, L // 2 + 1, gen, 4.0))
    if talkers is not None and p_babble > 0:
        use = torch.rand(B, generator=gen, device=dev) < p_babble
        if use.any():
            bb = babble(int(use.sum()), L, gen, talkers, 8)
            bg[use] = bb / bb.pow(2).mean(1, keepdim=True).sqrt().clamp(min=1e-9) * bg[use].pow(2).mean(1, keepdim=True).sqrt()
    snr = floor_snr[0] + (floor_snr[1] - floor_snr[0]) * torch.rand(B, generator=gen, device=dev)
    return mix(y, n, bg, snr)


def babble(B, L, gen, talkers, k=6):
    """Sum of k talkers (rows of talkers [T, Lt], each at unit power), random offsets, looped."""
    T, Lt = talkers.shape
    out = torch.zeros(B, L, device=dev)
    for _ in range(k):
        idx = torch.randint(0, T, (B,), generator=gen, device=dev)
        off = torch.randint(0, Lt, (B,), generator=gen, device=dev)
        pos = (off[:, None] + torch.arange(L, device=dev)[None]) % Lt
        out = out + talkers[idx[:, None], pos]
    return out


def test_noise(kind, B, L, gen, talkers):
    if kind == "white":
        return torch.randn(B, L, generator=gen, device=dev)
    if kind == "pink":
        return spectral_noise(B, L, gen, torch.full((B,), -1.0, device=dev))
    if kind == "brown":
        return spectral_noise(B, L, gen, torch.full((B,), -2.0, device=dev))
    if kind == "babble":
        return babble(B, L, gen, talkers, 6)
    raise ValueError(kind)


# ------------------------------------------------------------------ model inputs


class Norm:
    def __init__(self, mean, std, pad):
        self.mean, self.std, self.pad = mean, std, pad

    def __call__(self, x, n):
        """Waveforms [B, L>=CLIP_SAMPLES] with lengths -> model input [B, 256, 128] (pad or crop at the end)."""
        fb = fbank(x[:, :CLIP_SAMPLES])
        frames = ((n - WIN) // HOP + 1).clamp(min=1, max=FRAMES)
        valid = torch.arange(FRAMES, device=dev)[None] < frames[:, None]
        if self.pad == "zero":
            padv = torch.zeros(len(fb), device=dev)
        else:
            q = torch.where(valid[..., None], fb, torch.full_like(fb, float("inf"))).flatten(1)
            k = (frames * MELS * 0.01).long().clamp(min=1)
            padv = torch.sort(q, 1).values.gather(1, (k - 1)[:, None])[:, 0]
        fb = torch.where(valid[..., None], fb, padv[:, None, None])
        return (fb - self.mean) / (2 * self.std)


# ------------------------------------------------------------------ pre-training


def pretrain(model, sample_batch, steps, bs, lr, wd=0.05, warm=None, seed=0):
    p = model.init(seed)
    decay = [v for k, v in p.items() if k.endswith(".w")]
    rest = [v for k, v in p.items() if not k.endswith(".w")]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    warm = warm or max(60, steps // 12)
    g = torch.Generator().manual_seed(seed + 1)
    hist = []
    for step in range(steps):
        cur = lr * (step + 1) / warm if step < warm else 1e-5 + 0.5 * (lr - 1e-5) * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))
        for grp in opt.param_groups:
            grp["lr"] = cur
        X = sample_batch(step, bs)
        loss = model.losses(p, p, PP.patchify(X), model.masks(len(X), g)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        opt.step()
        hist.append(float(loss.detach()) if step % 50 == 0 or step > steps - 100 else hist[-1] if hist else 0)
        if step % 1000 == 0:
            log("pretrain step", step, round(hist[-1], 4))
    return {k: v.detach() for k, v in p.items()}, hist


# ------------------------------------------------------------------ probe and stats


def ridge(Ftr, ytr, groups, ncls):
    mu, sd = Ftr.mean(0), Ftr.std(0) + 1e-6
    Z = (Ftr - mu) / sd
    Y = F.one_hot(ytr, ncls).double()

    def fit(Zt, Yt, lam):
        W = torch.linalg.solve(Zt.T @ Zt + lam * torch.eye(Zt.shape[1], dtype=Zt.dtype), Zt.T @ (Yt - Yt.mean(0)))
        return W, Yt.mean(0) - Zt.mean(0) @ W

    cv = {}
    for lam in [1.0, 10.0, 100.0, 1000.0]:
        hit = 0
        for gval in sorted(set(groups.tolist())):
            te = groups == gval
            W, b = fit(Z[~te], Y[~te], lam)
            hit += int(((Z[te] @ W + b).argmax(1) == ytr[te]).sum())
        cv[lam] = hit / len(ytr)
    lam = max(cv, key=cv.get)
    W, b = fit(Z, Y, lam)
    return {"mu": mu, "sd": sd, "W": W, "b": b, "lam": lam, "cv": cv}


def predict(h, Fx):
    return (((Fx.double() - h["mu"]) / h["sd"]) @ h["W"] + h["b"]).argmax(1)


def paired_boot(ok1, ok0, reps=2000, seed=0):
    d = (ok1.double() - ok0.double()).cpu().numpy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(d), (reps, len(d)))
    m = d[idx].mean(1)
    return float(d.mean()), float(np.quantile(m, 0.025)), float(np.quantile(m, 0.975))


def top_share(pred, ncls):
    return float(torch.bincount(pred, minlength=ncls).max()) / len(pred)


# ------------------------------------------------------------------ TTT


def ttt(model, params, P, Pclean, head, y, ncls, group, lr, steps, views, seed, eval_at):
    C = len(P)
    enc = [k for k in params if k.startswith("e.")]
    if group == "all":
        train = enc
        ep = {k: params[k].unsqueeze(0).repeat(C, *[1] * params[k].dim()).contiguous().requires_grad_(True) for k in enc}
    else:  # bias: every encoder bias (dense and LayerNorm) per clip; weights shared; LN gains per clip, frozen
        train = [k for k in enc if k.endswith(".b")]
        ep = {}
        for k in enc:
            if k.endswith(".b"):
                ep[k] = params[k].unsqueeze(0).repeat(C, 1).contiguous().requires_grad_(True)
            elif k.endswith(".g"):
                ep[k] = params[k].unsqueeze(0).repeat(C, 1).contiguous()
            else:
                ep[k] = params[k]
    perclip = {k for k in enc if group == "all" or k.endswith(".b") or k.endswith(".g")}
    mom = {k: torch.zeros_like(ep[k]) for k in train}
    gen = torch.Generator().manual_seed(seed)
    evg = torch.Generator().manual_seed(seed + 7)
    plans = [model.masks(C, evg) for _ in range(4)]
    with torch.no_grad():
        fclean = model.pooled(params, Pclean)
    out = {}
    l0 = None
    diverged = torch.zeros(C, dtype=torch.bool, device=dev)

    def evaluate(st):
        with torch.no_grad():
            f = model.pooled(ep, P)
            f = torch.where(diverged[:, None], model.pooled(params, P), f)
            pred = predict(head, f.cpu())
            loss = torch.stack([model.losses(params, ep, P, pl) for pl in plans]).mean(0)
            dist = 1 - F.cosine_similarity(f, fclean, dim=1)
            out[st] = {"pred": pred, "loss": loss.cpu(), "dist": dist.cpu()}

    evaluate(0)
    for st in range(1, steps + 1):
        Pv = P.repeat(views, 1, 1) if views > 1 else P
        plan = model.masks(C * views, gen)
        if views > 1:
            epv = {k: (v.repeat(views, *[1] * (v.dim() - 1)) if k in perclip else v) for k, v in ep.items()}
            loss = model.losses(params, epv, Pv, plan).reshape(views, C).mean(0)
        else:
            loss = model.losses(params, ep, Pv, plan)
        if l0 is None:
            l0 = loss.detach()
        diverged |= ~torch.isfinite(loss.detach()) | (loss.detach() > 10 * l0)
        grads = torch.autograd.grad(loss.sum(), [ep[k] for k in train])
        with torch.no_grad():
            for k, gk in zip(train, grads):
                gk = torch.nan_to_num(gk)
                mom[k].mul_(0.9).add_(gk)
                ep[k].sub_(lr * mom[k])
        if st in eval_at:
            evaluate(st)
    res = {}
    ok0 = out[0]["pred"] == y
    for st, o in out.items():
        ok = o["pred"] == y
        g, lo, hi = paired_boot(ok, ok0, seed=st)
        res[st] = {"acc": float(ok.double().mean()), "gain": g, "lo": lo, "hi": hi, "top": top_share(o["pred"], ncls),
                   "loss": float(o["loss"].mean()), "dist": float(o["dist"].mean())}
    res["diverged"] = int(diverged.sum())
    return res


# ------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pre", default="pool", help="pool | small")
    ap.add_argument("--recorded", type=int, default=0)
    ap.add_argument("--wild", type=float, default=0.0, help="share of pre-training clips with extra noise 0-30 dB")
    ap.add_argument("--normpix", type=int, default=0)
    ap.add_argument("--pad", default="floor")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--d", type=int, default=192)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--heads", type=int, default=3)
    ap.add_argument("--views", type=int, default=1)
    ap.add_argument("--conds", default="clean,white10,white20,babble5,babble10,brown10,pink10")
    ap.add_argument("--ttt", default="all@0.005,all@0.05,bias@0.2,bias@2")
    ap.add_argument("--ttt-conds", default="white10,white20,babble5,babble10,brown10")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pool-max", type=int, default=0)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.manual_seed(a.seed)
    t0 = time.time()
    res = {"args": vars(a)}

    task_rows, task_audio = load_corpus(os.path.join(a.root, "task"))
    style_rows, style_audio = load_corpus(os.path.join(a.root, "style"))
    test_talkers_audio = [x for r, x in zip(task_rows, task_audio) if r["role"] == "babble"]
    L = max(CLIP_SAMPLES, max(len(x) for x in test_talkers_audio))
    test_talkers, _ = to_batch(test_talkers_audio)
    test_talkers = test_talkers / test_talkers.pow(2).mean(1, keepdim=True).sqrt()
    if a.pre == "pool":
        pool_rows, pool_audio = load_corpus(os.path.join(a.root, "pool"))
        pre_audio = [x for r, x in zip(pool_rows, pool_audio) if r["role"] == "task"]
        pool_talk = [x for r, x in zip(pool_rows, pool_audio) if r["role"] == "task"][:400]
    else:  # the shipped recipe's set: task speakers' sentences 0-11 and the babble speakers
        pre_audio = [x for r, x in zip(task_rows, task_audio) if r["role"] == "babble" or int(r["sentence"]) < 12]
        pool_talk = [x for r, x in zip(task_rows, task_audio) if r["role"] == "babble"]
    if a.pool_max:
        pre_audio = pre_audio[: a.pool_max]
    bg_talkers, _ = to_batch(pool_talk)
    bg_talkers = bg_talkers / bg_talkers.pow(2).mean(1, keepdim=True).sqrt().clamp(min=1e-9)
    PRE, PREn = to_batch(pre_audio, 64000)
    log("data", len(pre_audio), "pre-training clips", round(time.time() - t0, 1), "s")

    rec_gen = torch.Generator(device=dev).manual_seed(1000 + a.seed)

    # normalisation statistics from 512 pre-training inputs (as they are fed)
    def pre_wave(idx, gen):
        x, n = PRE[idx], PREn[idx]
        # random crop of a 2.555 s window inside the clip (start 0 when shorter)
        span = (n - CLIP_SAMPLES).clamp(min=0)
        st = (torch.rand(len(idx), generator=gen, device=dev) * (span + 1).float()).long()
        pos = (st[:, None] + torch.arange(CLIP_SAMPLES, device=dev)[None]).clamp(max=x.shape[1] - 1)
        x = x.gather(1, pos)
        n2 = (n - st).clamp(max=CLIP_SAMPLES)
        x = x * (torch.arange(CLIP_SAMPLES, device=dev)[None] < n2[:, None])
        if a.recorded:
            x = record(x, n2, gen, bg_talkers)
        if a.wild > 0:
            use = torch.rand(len(idx), generator=gen, device=dev) < a.wild
            if use.any():
                kinds = ["white", "pink", "brown", "babble"]
                k = kinds[int(torch.randint(0, 4, (1,), generator=gen, device=dev))]
                nz = test_noise(k, int(use.sum()), CLIP_SAMPLES, gen, bg_talkers)
                snr = 30 * torch.rand(int(use.sum()), generator=gen, device=dev)
                x[use] = mix(x[use], n2[use], nz, snr)
        return x, n2

    g0 = torch.Generator(device=dev).manual_seed(5)
    with torch.no_grad():
        xs, ns = pre_wave(torch.randint(0, len(pre_audio), (512,), generator=g0, device=dev), g0)
        fb = fbank(xs)
        mean, std = float(fb.mean()), float(fb.std())
    norm = Norm(mean, std, a.pad)
    res["norm"] = {"mean": mean, "std": std}

    def sample_batch(step, bs):
        with torch.no_grad():
            idx = torch.randint(0, len(pre_audio), (bs,), generator=rec_gen, device=dev)
            x, n = pre_wave(idx, rec_gen)
            return norm(x, n)

    model = PP.MAE(d=a.d, depth=a.depth, heads=a.heads, normpix=bool(a.normpix), device=dev)
    tp = time.time()
    params, hist = pretrain(model, sample_batch, a.steps, a.bs, a.lr, seed=a.seed)
    res["pretrain"] = {"steps": a.steps, "s": round(time.time() - tp, 1), "loss_first": hist[0], "loss_last": float(np.mean(hist[-50:]))}
    log("pretrained", res["pretrain"])

    # ---------------- tasks: fixed recorded versions of each clip, then test noise on top
    def clips(audio, seed):
        X, n = to_batch(audio, max(CLIP_SAMPLES, max(len(x) for x in audio)))
        X = X[:, :CLIP_SAMPLES] if X.shape[1] >= CLIP_SAMPLES else F.pad(X, (0, CLIP_SAMPLES - X.shape[1]))
        n = n.clamp(max=CLIP_SAMPLES)
        if a.recorded:
            g = torch.Generator(device=dev).manual_seed(seed)
            X = torch.cat([record(X[i:i + 256], n[i:i + 256], g, bg_talkers) for i in range(0, len(X), 256)])
        return X, n

    def noisy(X, n, cond, seed):
        if cond == "clean":
            return X
        kind = cond.rstrip("0123456789")
        snr = float(cond[len(kind):])
        g = torch.Generator(device=dev).manual_seed(seed)
        nz = test_noise(kind, len(X), X.shape[1], g, test_talkers)
        return mix(X, n, nz, snr)

    def feats(X):
        with torch.no_grad():
            return torch.cat([model.pooled(params, PP.patchify(X[i:i + 128])) for i in range(0, len(X), 128)])

    tasks = {}
    tr = [i for i, r in enumerate(task_rows) if r["role"] == "task" and int(r["sentence"]) < 12]
    te = [i for i, r in enumerate(task_rows) if r["role"] == "task" and int(r["sentence"]) >= 12]
    spk = sorted({task_rows[i]["speaker"] for i in tr})
    tasks["speaker"] = dict(audio=task_audio, tr=tr, te=te, ncls=len(spk), seed=11,
                            y=lambda i: spk.index(task_rows[i]["speaker"]), group=lambda i: int(task_rows[i]["sentence"]))
    sspk = sorted({r["speaker"] for r in style_rows if r["role"] == "task"})
    # held-out third of the speakers, balanced by gender x age group: every 3rd speaker in manifest order
    test_spk = set(sspk[2::3])
    styles = sorted({r["label"] for r in style_rows if r["role"] == "task"})
    str_ = [i for i, r in enumerate(style_rows) if r["role"] == "task" and r["speaker"] not in test_spk]
    ste = [i for i, r in enumerate(style_rows) if r["role"] == "task" and r["speaker"] in test_spk]
    tasks["style"] = dict(audio=style_audio, tr=str_, te=ste, ncls=len(styles), seed=13,
                          y=lambda i: styles.index(style_rows[i]["label"]), group=lambda i: sspk.index(style_rows[i]["speaker"]) % 4)
    conds = a.conds.split(",")
    res["tasks"] = {}
    for tname, T in tasks.items():
        Xtr, ntr = clips([T["audio"][i] for i in T["tr"]], T["seed"])
        Xte, nte = clips([T["audio"][i] for i in T["te"]], T["seed"] + 1)
        ytr = torch.tensor([T["y"](i) for i in T["tr"]])
        yte = torch.tensor([T["y"](i) for i in T["te"]])
        gtr = torch.tensor([T["group"](i) for i in T["tr"]])
        Itr = norm(Xtr, ntr)
        Ftr = feats(Itr).cpu().double()
        head = ridge(Ftr, ytr, gtr, T["ncls"])
        out = {"n_train": len(ytr), "n_test": len(yte), "chance": 1 / T["ncls"], "lam": head["lam"], "cv": head["cv"], "cond": {}, "ttt": {}}
        Iclean = norm(Xte, nte)
        Pclean = PP.patchify(Iclean)
        inputs = {}
        gl = torch.Generator().manual_seed(77)
        plans = [model.masks(len(Pclean), gl) for _ in range(8)]
        with torch.no_grad():
            lclean = torch.stack([model.losses(params, params, Pclean, pl) for pl in plans]).mean(0)
        fclean = feats(Iclean)
        for c in conds:
            I = Iclean if c == "clean" else norm(noisy(Xte, nte, c, T["seed"] + 100 + conds.index(c)), nte)
            inputs[c] = I
            f = feats(I)
            pred = predict(head, f.cpu())
            with torch.no_grad():
                lc = torch.stack([model.losses(params, params, PP.patchify(I), pl) for pl in plans]).mean(0)
            dl = (lc - lclean).cpu()
            out["cond"][c] = {"acc": float((pred == yte).double().mean()), "top": top_share(pred, T["ncls"]),
                              "loss": float(lc.mean()), "dloss": float(dl.mean()), "dloss_se": float(dl.std() / math.sqrt(len(dl))),
                              "dist": float((1 - F.cosine_similarity(f, fclean, dim=1)).mean())}
        log(tname, "step0", json.dumps({c: {k: round(v, 3) for k, v in d.items()} for c, d in out["cond"].items()}))
        for c in a.ttt_conds.split(","):
            for spec in a.ttt.split(","):
                group, lr = spec.split("@")
                views = a.views
                if "x" in lr:
                    lr, views = lr.split("x")
                    views = int(views)
                tt = time.time()
                r = ttt(model, params, PP.patchify(inputs[c]), Pclean, head, yte, T["ncls"], group, float(lr), 20, views,
                        seed=31, eval_at={1, 2, 5, 10, 15, 20})
                out["ttt"][f"{c}/{spec}"] = r
                s = " ".join(f"{st}:{d['acc']:.3f}({d['gain']:+.3f}[{d['lo']:+.3f},{d['hi']:+.3f}]t{d['top']:.2f}d{d['dist']:.3f})" for st, d in r.items() if st in (0, 5, 10, 20))
                log(tname, c, spec, s, "div", r["diverged"], round(time.time() - tt, 1), "s")
        res["tasks"][tname] = out
        with open(os.path.join(a.out, f"{a.variant}.json"), "w") as fh:
            json.dump(res, fh, indent=1, default=float)
    res["total_s"] = round(time.time() - t0, 1)
    with open(os.path.join(a.out, f"{a.variant}.json"), "w") as fh:
        json.dump(res, fh, indent=1, default=float)
    log("done", res["total_s"], "s")


if __name__ == "__main__":
    main()
