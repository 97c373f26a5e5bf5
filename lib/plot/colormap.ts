/**
 * Colour maps for raster images (PNG). Stops are plotly's own, so a PNG and a heatmap figure of
 * the same data look alike.
 */

/** Colour maps {@link colorAt} knows. */
export type ColormapName = 'viridis' | 'cividis' | 'gray';

type Stop = readonly [position: number, red: number, green: number, blue: number];

function hexStops(stops: readonly [number, string][]): Stop[] {
  return stops.map(([at, hex]) => [at, parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)]);
}

const STOPS: Record<ColormapName, Stop[]> = {
  viridis: hexStops([
    [0, '#440154'],
    [0.06274509803921569, '#48186a'],
    [0.12549019607843137, '#472d7b'],
    [0.18823529411764706, '#424086'],
    [0.25098039215686274, '#3b528b'],
    [0.3137254901960784, '#33638d'],
    [0.3764705882352941, '#2c728e'],
    [0.4392156862745098, '#26828e'],
    [0.5019607843137255, '#21918c'],
    [0.5647058823529412, '#1fa088'],
    [0.6274509803921569, '#28ae80'],
    [0.6901960784313725, '#3fbc73'],
    [0.7529411764705882, '#5ec962'],
    [0.8156862745098039, '#84d44b'],
    [0.8784313725490196, '#addc30'],
    [0.9411764705882353, '#d8e219'],
    [1, '#fde725'],
  ]),
  cividis: [
    [0, 0, 32, 76],
    [0.058824, 0, 42, 102],
    [0.117647, 0, 52, 110],
    [0.176471, 39, 63, 108],
    [0.235294, 60, 74, 107],
    [0.294118, 76, 85, 107],
    [0.352941, 91, 95, 109],
    [0.411765, 104, 106, 112],
    [0.470588, 117, 117, 117],
    [0.529412, 131, 129, 120],
    [0.588235, 146, 140, 120],
    [0.647059, 161, 152, 118],
    [0.705882, 176, 165, 114],
    [0.764706, 192, 177, 109],
    [0.823529, 209, 191, 102],
    [0.882353, 225, 204, 92],
    [0.941176, 243, 219, 79],
    [1, 255, 233, 69],
  ],
  gray: [
    [0, 0, 0, 0],
    [1, 255, 255, 255],
  ],
};

/** The `[r, g, b]` (0–255) of position `t` in [0, 1] (clamped) of a colour map. */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const stops = STOPS[name];
  if (!stops) throw new Error(`unknown colour map '${name}'; use one of: ${Object.keys(STOPS).join(', ')}`);
  const x = Math.min(1, Math.max(0, t));
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < x) k++;
  const [p0, r0, g0, b0] = stops[k - 1];
  const [p1, r1, g1, b1] = stops[k];
  const f = p1 > p0 ? (x - p0) / (p1 - p0) : 0;
  return [Math.round(r0 + f * (r1 - r0)), Math.round(g0 + f * (g1 - g0)), Math.round(b0 + f * (b1 - b0))];
}
