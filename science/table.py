#!/usr/bin/env python3
"""Prints the ablation tables of docs/ttt-levers.md from scale.py's result files (one JSON per variant)."""
import json
import os
import sys


def cell(T, cond, spec, step="20"):
    r = T["ttt"].get(f"{cond}/{spec}")
    if not r:
        return "–"
    x = r[step]
    return f"{x['gain']:+.3f} [{x['lo']:+.2f}, {x['hi']:+.2f}]"


def main(paths):
    rows = []
    for p in paths:
        r = json.load(open(p))
        name = os.path.basename(p)[:-5]
        a = r["args"]
        what = f"{'pool' if a['pre'] == 'pool' else 'small'}; {'recorded' if a['recorded'] else 'dry'}; {'norm-pix' if a['normpix'] else 'MSE'}; depth {a['depth']}; {a['steps']} steps; seed {a['seed']}"
        rows.append((name, what, r))
    print("| variant | recipe | task | clean | white 10 / 15 or 20 dB | babble 5 / 10 dB | MAE loss, white 10 dB minus clean |")
    print("|---|---|---|---|---|---|---|")
    for name, what, r in rows:
        for t, T in r["tasks"].items():
            c = T["cond"]
            w2 = c.get("white15", c.get("white20"))
            print(f"| {name} | {what} | {t} | {c['clean']['acc']:.2f} | {c['white10']['acc']:.2f} / {w2['acc']:.2f} | {c['babble5']['acc']:.2f} / {c['babble10']['acc']:.2f} | {c['white10']['dloss']:+.3f} |")
    print()
    print("| variant | task | method | white 10 dB | white 15 (or 20) dB | babble 5 dB | babble 10 dB | pink 10 dB |")
    print("|---|---|---|---|---|---|---|---|")
    for name, what, r in rows:
        for t, T in r["tasks"].items():
            specs = sorted({k.split("/", 1)[1] for k in T["ttt"]})
            for spec in specs:
                w2 = "white15" if f"white15/{spec}" in T["ttt"] else "white20"
                print(f"| {name} | {t} | {spec} | {cell(T, 'white10', spec)} | {cell(T, w2, spec)} | {cell(T, 'babble5', spec)} | {cell(T, 'babble10', spec)} | {cell(T, 'pink10', spec)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
