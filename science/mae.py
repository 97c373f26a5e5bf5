"""The tiny ViT masked autoencoder of ttt-speech in plain PyTorch, functional (parameters in a dict),
so that TTT can give every test clip its own copy of the encoder parameters in one batched pass
(a leading clip dimension on a weight switches matmul to bmm). Same layout as lib/model: 16x16 patches
of a 256x128 log-mel input in time-major order, fixed 2-D sin-cos positions, pre-norm blocks, no class
token, random masking by argsort of uniform noise, loss on masked patches (optionally norm-pix)."""
import math

import torch
import torch.nn.functional as F

FRAMES, MELS, PS = 256, 128, 16


def sincos(width, tp, fp):
    out = torch.zeros(tp * fp, width, dtype=torch.float64)
    hw = width // 2
    half = hw // 2
    om = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float64) / half))
    for t in range(tp):
        for f in range(fp):
            r = t * fp + f
            out[r, :half], out[r, half:hw] = torch.sin(t * om), torch.cos(t * om)
            out[r, hw:hw + half], out[r, hw + half:] = torch.sin(f * om), torch.cos(f * om)
    return out.float()


def patchify(x):
    b = x.shape[0]
    tp, fp = FRAMES // PS, MELS // PS
    return x.reshape(b * tp, PS, fp, PS).permute(0, 2, 1, 3).reshape(b, tp * fp, PS * PS)


def lin(x, W, b):
    y = torch.matmul(x, W) if W.dim() == 2 else torch.bmm(x, W)
    return y + (b if b.dim() == 1 else b.unsqueeze(1))


def lnorm(x, g, b, eps=1e-6):
    if g.dim() == 1:
        return F.layer_norm(x, (x.shape[-1],), g, b, eps)
    return F.layer_norm(x, (x.shape[-1],), None, None, eps) * g.unsqueeze(1) + b.unsqueeze(1)


def attention(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    w = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * (q.shape[-1] ** -0.5), -1)
    return torch.matmul(w, v)


class MAE:
    def __init__(self, d=192, depth=4, heads=3, dd=128, ddepth=2, dheads=4, normpix=False, device="cpu"):
        self.d, self.depth, self.heads, self.dd, self.ddepth, self.dheads = d, depth, heads, dd, ddepth, dheads
        self.normpix = normpix
        self.P = (FRAMES // PS) * (MELS // PS)
        self.keep = round(self.P * 0.25)
        self.pos_e = sincos(d, FRAMES // PS, MELS // PS).to(device)
        self.pos_d = sincos(dd, FRAMES // PS, MELS // PS).to(device)
        self.device = device

    def init(self, seed):
        g = torch.Generator().manual_seed(seed)
        p = {}

        def dense(n, i, o):
            a = math.sqrt(6 / (i + o))
            p[n + ".w"] = (torch.rand(i, o, generator=g) * 2 - 1) * a
            p[n + ".b"] = torch.zeros(o)

        def norm(n, w):
            p[n + ".g"], p[n + ".b"] = torch.ones(w), torch.zeros(w)

        def block(n, w):
            norm(n + ".n1", w)
            dense(n + ".qkv", w, 3 * w)
            dense(n + ".proj", w, w)
            norm(n + ".n2", w)
            dense(n + ".fc1", w, 4 * w)
            dense(n + ".fc2", 4 * w, w)

        dense("e.patch", PS * PS, self.d)
        for i in range(self.depth):
            block(f"e.{i}", self.d)
        norm("e.norm", self.d)
        dense("d.embed", self.d, self.dd)
        p["d.mask"] = torch.randn(self.dd, generator=g) * 0.02
        for i in range(self.ddepth):
            block(f"d.{i}", self.dd)
        norm("d.norm", self.dd)
        dense("d.pred", self.dd, PS * PS)
        return {k: v.to(self.device).requires_grad_(True) for k, v in p.items()}

    def block(self, x, p, n, heads):
        B, N, d = x.shape
        h = lnorm(x, p[n + ".n1.g"], p[n + ".n1.b"])
        qkv = lin(h, p[n + ".qkv.w"], p[n + ".qkv.b"]).reshape(B, N, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
        a = attention(qkv[0], qkv[1], qkv[2]).transpose(1, 2).reshape(B, N, d)
        x = x + lin(a, p[n + ".proj.w"], p[n + ".proj.b"])
        h = lnorm(x, p[n + ".n2.g"], p[n + ".n2.b"])
        return x + lin(F.gelu(lin(h, p[n + ".fc1.w"], p[n + ".fc1.b"])), p[n + ".fc2.w"], p[n + ".fc2.b"])

    def encode(self, p, patches, ids_keep=None):
        if ids_keep is None:
            x = lin(patches, p["e.patch.w"], p["e.patch.b"]) + self.pos_e
        else:
            vis = torch.gather(patches, 1, ids_keep.unsqueeze(-1).expand(-1, -1, patches.shape[-1]))
            x = lin(vis, p["e.patch.w"], p["e.patch.b"]) + self.pos_e[ids_keep]
        for i in range(self.depth):
            x = self.block(x, p, f"e.{i}", self.heads)
        return lnorm(x, p["e.norm.g"], p["e.norm.b"])

    def decode(self, p, lat, ids_restore):
        x = lin(lat, p["d.embed.w"], p["d.embed.b"])
        B, T, dd = x.shape
        x = torch.cat([x, p["d.mask"].reshape(1, 1, dd).expand(B, self.P - T, dd)], 1)
        x = torch.gather(x, 1, ids_restore.unsqueeze(-1).expand(-1, -1, dd)) + self.pos_d
        for i in range(self.ddepth):
            x = self.block(x, p, f"d.{i}", self.dheads)
        x = lnorm(x, p["d.norm.g"], p["d.norm.b"])
        return lin(x, p["d.pred.w"], p["d.pred.b"])

    def masks(self, B, gen):
        noise = torch.rand(B, self.P, generator=gen).to(self.device)
        shuffle = torch.argsort(noise, 1)
        restore = torch.argsort(shuffle, 1)
        mask = torch.ones(B, self.P, device=self.device)
        mask[:, :self.keep] = 0
        return shuffle[:, :self.keep], restore, torch.gather(mask, 1, restore)

    def losses(self, p, enc_p, patches, plan, normpix=None):
        """Per-sample loss; encoder params enc_p may carry a leading clip dim; decoder from p."""
        normpix = self.normpix if normpix is None else normpix
        keep, restore, mask = plan
        pred = self.decode(p, self.encode(enc_p, patches, keep), restore)
        t = patches
        if normpix:
            t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True, unbiased=False) + 1e-6).sqrt()
        per = ((pred - t) ** 2).mean(-1)
        return (per * mask).sum(-1) / mask.sum(-1)

    def pooled(self, p, patches):
        return self.encode(p, patches).mean(1)
