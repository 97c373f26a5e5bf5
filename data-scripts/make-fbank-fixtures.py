#!/usr/bin/python3
"""Parity fixtures for the log-mel front end (lib/features).

Makes a few short deterministic test signals, runs torchaudio's Kaldi-compatible
`torchaudio.compliance.kaldi.fbank` on each, and writes one JSON file per signal to
test/fixtures/fbank/. test/features.test.ts checks ttt-speech's `fbank` against them.

The reference is torchaudio's fbank evaluated in float64 on the float32 samples: the exact
result of Kaldi's algorithm (torchaudio builds the mel weights in float32 either way, as Kaldi
does). torchaudio's usual float32 run differs from it by rounding in its float32 FFT, up to
4e-3 in bands far below a frame's loudest component; each fixture records that deviation as
`float32MaxDiff`, so the test compares against the exact values and shows how far the
float32 reference itself is from them.

Run it with the system Python, which is where Debian's torchaudio lives:

    apt-get install -y python3-torchaudio
    /usr/bin/python3 data-scripts/make-fbank-fixtures.py

Each fixture holds:
  name, description   what the signal is and which options it exercises
  generator           torch and torchaudio versions that produced `expected`
  float32MaxDiff      max |torchaudio on float32 input - expected|, for comparison
  options             the ttt-speech FbankOptions used (names as in lib/features)
  torchaudioOptions   the same settings as keyword arguments of kaldi.fbank
  signal              the input samples (noise floor included), float32 in shortest exact form
  frames, bins        shape of `expected`
  expected            the fbank in float64, [frames][bins], rounded to 5 decimals (error <= 5e-6)

The signals are generated in float64 and rounded once to float32, so both sides read
bit-identical input. Everything is seeded: rerunning the script reproduces the files.

Every signal sits on a weak noise floor (about -54 dBFS RMS, weighted toward low frequencies like
room rumble). Without it, a pure synthetic tone leaves mel bands whose power is only the
window's side-lobe leakage, 80-90 dB below the frame: there the float32 rounding of the window
and of pre-emphasis sets the value, and torchaudio's own float32 and float64 results differ by
up to 4.4e-3 (a 0.5 s pure chirp; rounding the window to float32 alone moves such a band by
3e-3). A parity check there compares rounding noise, not the algorithm. Real recordings always
have such a floor, and with it every band is set by the signal.
"""

import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

SAMPLE_RATE = 16000
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "fbank")

# The AudioMAE front end: torchaudio's Kaldi defaults, 16 kHz, 128 bins, no dither.
AUDIOMAE = {
    "sampleRate": 16000,
    "melBins": 128,
    "frameLengthMs": 25,
    "frameShiftMs": 10,
    "windowType": "povey",
    "preemphasis": 0.97,
    "removeDcOffset": True,
    "roundToPowerOfTwo": True,
    "lowFreq": 20,
    "highFreq": 0,
    "snipEdges": True,
    "dither": 0,
    "inputScale": 1,
}

# ttt-speech option name -> kaldi.fbank keyword.
TORCHAUDIO_NAME = {
    "sampleRate": "sample_frequency",
    "melBins": "num_mel_bins",
    "frameLengthMs": "frame_length",
    "frameShiftMs": "frame_shift",
    "windowType": "window_type",
    "preemphasis": "preemphasis_coefficient",
    "removeDcOffset": "remove_dc_offset",
    "roundToPowerOfTwo": "round_to_power_of_two",
    "lowFreq": "low_freq",
    "highFreq": "high_freq",
    "snipEdges": "snip_edges",
    "dither": "dither",
}


def seconds(duration):
    return np.arange(int(round(duration * SAMPLE_RATE))) / SAMPLE_RATE


def chirp(duration=0.5, f0=100.0, f1=7000.0, amplitude=0.5):
    """Exponential sweep: every mel band gets energy in turn."""
    t = seconds(duration)
    k = math.log(f1 / f0) / duration
    phase = 2 * math.pi * f0 * (np.exp(k * t) - 1) / k
    return amplitude * np.sin(phase)


def two_tones_and_noise(duration=0.6, seed=1234):
    """Two steady tones over white noise, as in a hum-plus-hiss recording."""
    t = seconds(duration)
    noise = np.random.default_rng(seed).normal(0.0, 0.05, t.size)
    return 0.4 * np.sin(2 * math.pi * 440.0 * t) + 0.2 * np.sin(2 * math.pi * 3150.0 * t + 0.3) + noise


def resonate(x, frequency, bandwidth):
    """Two-pole resonator: a crude formant filter."""
    r = math.exp(-math.pi * bandwidth / SAMPLE_RATE)
    a1 = 2 * r * math.cos(2 * math.pi * frequency / SAMPLE_RATE)
    a2 = -r * r
    y = np.zeros_like(x)
    for n in range(x.size):
        y[n] = x[n] + a1 * (y[n - 1] if n >= 1 else 0.0) + a2 * (y[n - 2] if n >= 2 else 0.0)
    return y


def voiced_pulses(duration=0.4, f0=120.0, seed=7):
    """A pulse train with slight jitter through three formant resonators: vowel-like."""
    n = int(round(duration * SAMPLE_RATE))
    rng = np.random.default_rng(seed)
    excitation = np.zeros(n)
    position = 0.0
    while position < n:
        excitation[int(position)] = 1.0
        position += SAMPLE_RATE / f0 * (1.0 + 0.02 * rng.standard_normal())
    y = excitation
    for frequency, bandwidth in ((700.0, 130.0), (1220.0, 70.0), (2600.0, 160.0)):
        y = resonate(y, frequency, bandwidth)
    y += rng.normal(0.0, 1e-3, n)
    return 0.6 * y / np.max(np.abs(y))


def dc_offset(duration=0.3, seed=99):
    """A tone riding on a large DC offset: exercises remove_dc_offset."""
    t = seconds(duration)
    noise = np.random.default_rng(seed).normal(0.0, 0.01, t.size)
    return 0.3 + 0.2 * np.sin(2 * math.pi * 250.0 * t) + 0.05 * np.sin(2 * math.pi * 5200.0 * t) + noise


def noise_floor(n, seed, level=2e-3):
    """White noise through a leaky integrator: a -54 dBFS floor strongest at low frequencies,
    where pre-emphasis (0.97) would otherwise leave the lowest mel bands near float32 rounding."""
    white = np.random.default_rng(seed).normal(0.0, 1.0, n)
    floor = np.zeros(n)
    state = 0.0
    for i in range(n):
        state = 0.95 * state + white[i]
        floor[i] = state
    return level * floor / np.std(floor)


def fixture(name, description, signal, overrides=None):
    options = dict(AUDIOMAE, **(overrides or {}))
    samples = (signal + noise_floor(signal.size, zlib.crc32(name.encode()))).astype(np.float32)
    torch_kwargs = {TORCHAUDIO_NAME[key]: value for key, value in options.items() if key in TORCHAUDIO_NAME}
    for key in ("sample_frequency", "frame_length", "frame_shift", "preemphasis_coefficient", "low_freq", "high_freq", "dither"):
        torch_kwargs[key] = float(torch_kwargs[key])
    # Kaldi's tools read int16 values; inputScale stands for that scaling of [-1, 1] samples.
    waveform = torch.from_numpy(samples).unsqueeze(0) * float(options["inputScale"])
    expected = kaldi.fbank(waveform.double(), **torch_kwargs).numpy()
    float32_result = kaldi.fbank(waveform, **torch_kwargs).numpy()
    return {
        "name": name,
        "description": description,
        "generator": {"torch": torch.__version__, "torchaudio": torchaudio.__version__},
        "float32MaxDiff": float(f"{np.abs(float32_result - expected).max():.3g}"),
        "options": options,
        "torchaudioOptions": torch_kwargs,
        "signal": [float(np.format_float_positional(v, unique=True, trim="-")) for v in samples],
        "frames": int(expected.shape[0]),
        "bins": int(expected.shape[1]),
        "expected": [[round(float(v), 5) for v in row] for row in expected],
    }


def fixtures():
    return [
        fixture("chirp", "exponential sweep 100 Hz -> 7 kHz, 0.5 s, AudioMAE defaults", chirp()),
        fixture("two-tones-noise", "440 Hz + 3150 Hz tones over white noise (seed 1234), 0.6 s, AudioMAE defaults", two_tones_and_noise()),
        fixture("voiced-pulses", "120 Hz jittered pulse train through three formants, 0.4 s, AudioMAE defaults", voiced_pulses()),
        fixture("dc-offset", "250 Hz + 5.2 kHz tones on a 0.3 DC offset, 0.3 s, AudioMAE defaults", dc_offset()),
        fixture(
            "options-64-hanning",
            "two tones + noise (seed 5), 0.5 s, 64 bins, hanning window, 50-7600 Hz",
            two_tones_and_noise(0.5, seed=5),
            {"melBins": 64, "windowType": "hanning", "lowFreq": 50, "highFreq": 7600},
        ),
        fixture(
            "no-snip-edges-hamming-int16",
            "voiced pulses, 0.35 s, int16 scale, hamming 20 ms / 8 ms, snip_edges off, preemphasis 0.9, high_freq -400",
            voiced_pulses(0.35, f0=180.0, seed=11),
            {"windowType": "hamming", "frameLengthMs": 20, "frameShiftMs": 8, "snipEdges": False, "preemphasis": 0.9, "highFreq": -400, "inputScale": 32768},
        ),
        fixture(
            "blackman-400-point",
            "chirp 300 Hz -> 5 kHz, 0.3 s, blackman window, 400-point DFT (round_to_power_of_two off), 40 bins",
            chirp(0.3, 300.0, 5000.0, 0.3),
            {"windowType": "blackman", "roundToPowerOfTwo": False, "melBins": 40},
        ),
        fixture(
            "rectangular-plain",
            "two tones + noise (seed 21), 0.3 s, rectangular window, no preemphasis, no DC removal, 80 bins",
            two_tones_and_noise(0.3, seed=21),
            {"windowType": "rectangular", "preemphasis": 0, "removeDcOffset": False, "melBins": 80},
        ),
    ]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for item in fixtures():
        path = os.path.normpath(os.path.join(OUT_DIR, item["name"] + ".json"))
        text = json.dumps(item, separators=(",", ":")) + "\n"
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
        print(f"{path}: {item['frames']} x {item['bins']}, {len(text) / 1024:.0f} KiB, float32 torchaudio within {item['float32MaxDiff']:.2g}")
    print(f"total {total / 1024:.0f} KiB", file=sys.stderr)


if __name__ == "__main__":
    main()
