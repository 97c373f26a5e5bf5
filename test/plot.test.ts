import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import {
  accuracyVsSnrFigure,
  accuracyVsStepsFigure,
  barFigure,
  colorAt,
  confusionMatrixFigure,
  escapeScriptText,
  figureHtml,
  heatmapFigure,
  integerTickValues,
  lineFigure,
  maskedSpectrogramFigure,
  matrixToPng,
  plotlyScriptTag,
  reportHtml,
  tableHtml,
  wrapPanelTitle,
  writeReportHtml,
} from '../lib/plot/index.js';
import type { AccuracyStepRow, Figure, HeatmapTrace, ScatterTrace } from '../lib/plot/index.js';
import { CHROMIUM, hasChromium, renderedDom, screenshot } from './helpers/chromium.js';

// The banner at the top of the inlined bundle: counting it counts copies of plotly.js.
const PLOTLY_BANNER = 'plotly.js (cartesian - minified)';

function stepRows(conditions: (string | undefined)[], methods: string[], steps: number): AccuracyStepRow[] {
  const rows: AccuracyStepRow[] = [];
  conditions.forEach((condition, c) =>
    methods.forEach((method, m) => {
      // Written in descending step order, so the figure has to sort.
      for (let step = steps; step >= 0; step--) rows.push({ method, condition, step, accuracy: 0.5 + 0.01 * step * m + 0.05 * c, n: 100 });
    }),
  );
  return rows;
}

function fbank(frames: number, bins: number): number[][] {
  return Array.from({ length: frames }, (_, t) => Array.from({ length: bins }, (_, b) => Math.sin(t / 5) + b / bins));
}

function assertTitled(figure: Figure): void {
  assert.ok(figure.layout.title.text.length > 0, 'figure title');
  assert.ok(figure.layout.xaxis.title.text.length > 0, 'x axis title');
  assert.ok(figure.layout.yaxis.title.text.length > 0, 'y axis title');
}

/** Three panels with long names, 95 % intervals, chance and the unadapted model as a reference: the report's figure. */
function statisticsFigure(): Figure {
  const conditions = ['speaker/noise:white@0dB', 'speaker/noise:babble@0dB', 'label/age:young->old'];
  const rows = stepRows(conditions, ['no-ttt', 'ttt-all', 'ttt-bitfit'], 20).map((row) => ({ ...row, low: row.accuracy - 0.1, high: row.accuracy + 0.1 }));
  return accuracyVsStepsFigure(rows, { chance: { [conditions[0]]: 1 / 24, [conditions[1]]: 1 / 24, [conditions[2]]: 0.25 }, referenceMethod: 'no-ttt' });
}

function allFigures(): Figure[] {
  const mask = Float32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? 0 : 1));
  return [
    accuracyVsStepsFigure(stepRows(['noise:babble@0dB', 'gender:F->M'], ['TTT', 'BitFit'], 5)),
    statisticsFigure(),
    accuracyVsSnrFigure([
      { method: 'no TTT', snrDb: 0, accuracy: 0.4 },
      { method: 'no TTT', snrDb: 10, accuracy: 0.7 },
      { method: 'TTT', snrDb: 0, accuracy: 0.5 },
      { method: 'TTT', snrDb: 10, accuracy: 0.75 },
    ]),
    barFigure(
      [
        { category: 'babble', series: 'BitFit', value: 0.6 },
        { category: 'babble', series: 'full', value: 0.62 },
      ],
      { title: 'BitFit vs full', xTitle: 'condition', yTitle: 'accuracy', proportion: true },
    ),
    lineFigure([{ name: 'loss', y: [3, 2, 1.5, 1.2] }], { title: 'Pre-training loss', xTitle: 'step', yTitle: 'loss' }),
    heatmapFigure(fbank(32, 16)),
    maskedSpectrogramFigure(fbank(32, 24), mask, 8),
    confusionMatrixFigure(['a', 'b'], [
      [5, 1],
      [2, 4],
    ]),
  ];
}

describe('plot figures', () => {
  it('give every figure a title and axis titles', () => {
    for (const figure of allFigures()) assertTitled(figure);
  });

  describe('accuracyVsStepsFigure', () => {
    it('draws one line per method, sorted by step, as percentages', () => {
      const figure = accuracyVsStepsFigure(stepRows([undefined], ['TTT (all)', 'BitFit', 'no TTT'], 4));
      assert.equal(figure.data.length, 3);
      const [first] = figure.data as ScatterTrace[];
      assert.equal(first.name, 'TTT (all)');
      assert.deepEqual(first.x, [0, 1, 2, 3, 4]);
      assert.equal(first.y[0], 0.5);
      assert.equal(figure.layout.xaxis.title.text, 'TTT steps');
      assert.equal(figure.layout.yaxis.title.text, 'accuracy');
      assert.equal(figure.layout.yaxis.tickformat, '.0%');
      assert.equal(figure.layout.annotations, undefined, 'no facet titles without conditions');
      assert.equal(figure.layout.title.text, 'Accuracy vs TTT steps');
    });

    it('names a single condition in the title', () => {
      const figure = accuracyVsStepsFigure(stepRows(['noise:babble@0dB'], ['TTT'], 2), { title: 'TTT under noise' });
      assert.equal(figure.layout.title.text, 'TTT under noise: noise:babble@0dB');
      assert.equal(figure.layout.annotations, undefined);
    });

    it('adds ±1 standard-error bars when every row has n', () => {
      const figure = accuracyVsStepsFigure([
        { method: 'TTT', step: 0, accuracy: 0.5, n: 100 },
        { method: 'TTT', step: 1, accuracy: 0.9, n: 100 },
      ]);
      const trace = figure.data[0] as ScatterTrace;
      assert.ok(trace.error_y);
      assert.ok(Math.abs(trace.error_y.array[0] - 0.05) < 1e-12);
      assert.ok(Math.abs(trace.error_y.array[1] - 0.03) < 1e-12);
    });

    it('makes one panel per condition with shared axes and one legend entry per method', () => {
      const conditions = ['noise:babble@0dB', 'noise:white@5dB', 'gender:F->M', 'age:young->old'];
      const figure = accuracyVsStepsFigure(stepRows(conditions, ['TTT', 'BitFit'], 3));
      assert.equal(figure.data.length, 8);
      assert.deepEqual(
        figure.layout.annotations?.map((a) => a.text),
        conditions.map((c) => `<b>${c.replace(/</g, '&lt;')}</b>`),
      );
      assert.deepEqual(
        figure.data.filter((t) => t.showlegend).map((t) => t.name),
        ['TTT', 'BitFit'],
      );
      assert.equal((figure.data[7] as ScatterTrace).xaxis, 'x4');
      assert.equal(figure.layout.xaxis4?.matches, 'x');
      assert.equal(figure.layout.yaxis4?.matches, 'y');
      // Three panels to a row: the fourth starts a second row.
      assert.ok((figure.layout.yaxis4?.domain?.[1] ?? 1) < (figure.layout.yaxis.domain?.[0] ?? 0));
    });

    it('draws chance dashed, the unadapted model as a flat reference, and interval bands', () => {
      const figure = statisticsFigure();
      const traces = figure.data as ScatterTrace[];
      const chance = traces.filter((t) => t.name === 'chance');
      assert.equal(chance.length, 3);
      assert.deepEqual(chance[0].y, [1 / 24, 1 / 24]);
      assert.deepEqual(chance[2].x, [0, 20]);
      assert.equal(chance[0].line?.dash, 'dash');
      const reference = traces.filter((t) => t.name === 'no-ttt (reference)' && t.fill === undefined);
      assert.equal(reference.length, 3);
      assert.deepEqual(reference[1].y, [0.55, 0.55], 'flat at the step-0 accuracy of its condition');
      assert.ok(!traces.some((t) => t.name === 'no-ttt'), 'not drawn as a curve');
      const bands = traces.filter((t) => t.fill === 'toself' && t.name === 'ttt-all');
      assert.equal(bands.length, 3);
      assert.equal(bands[0].x.length, 2 * 21);
      assert.ok(Math.abs((bands[0].y[0] as number) - 0.6) < 1e-12 && Math.abs((bands[0].y[41] as number) - 0.4) < 1e-12);
      assert.equal(new Set(traces.filter((t) => t.showlegend).map((t) => t.name)).size, traces.filter((t) => t.showlegend).length, 'one legend entry per name');
      assert.throws(() => accuracyVsStepsFigure(stepRows(['a'], ['x'], 1), { chance: { a: 2 } }), /chance level 2 for 'a'/);
    });

    it('puts ticks at the steps run, thinned so a third of a page holds them', () => {
      assert.deepEqual(integerTickValues([0, 1, 2, 3, 4, 5]), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(integerTickValues(Array.from({ length: 21 }, (_, i) => i)), [0, 5, 10, 15, 20]);
      assert.deepEqual(integerTickValues([0, 1, 5, 10, 20, 40, 80]), [0, 1, 5, 10, 20, 40, 80]);
      assert.deepEqual(integerTickValues(Array.from({ length: 13 }, (_, i) => i)), [0, 2, 4, 6, 8, 10, 12]);
      const figure = statisticsFigure();
      assert.deepEqual(figure.layout.xaxis.tickvals, [0, 5, 10, 15, 20]);
      assert.equal(figure.layout.xaxis.tickmode, 'array');
    });

    it('wraps panel titles that would not fit their panel and makes room for them', () => {
      assert.deepEqual(wrapPanelTitle('speaker/noise:babble@0dB', 12), ['speaker/', 'noise:', 'babble@0dB']);
      assert.deepEqual(wrapPanelTitle('short', 12), ['short']);
      const long = 'label/a-rather-long-condition-name:young->old';
      const figure = accuracyVsStepsFigure(stepRows([long, 'b', 'c'], ['TTT'], 2));
      const text = figure.layout.annotations?.[0].text ?? '';
      assert.ok(text.includes('<br>'), text);
      assert.equal(text.replace(/<br>|<\/?b>/g, ''), long.replace(/>/g, '>'));
      const plainFigure = accuracyVsStepsFigure(stepRows(['a', 'b', 'c'], ['TTT'], 2));
      assert.ok((figure.layout.margin?.t ?? 0) > (plainFigure.layout.margin?.t ?? 0));
    });

    it('rejects two rows for the same point, and accuracies outside [0, 1]', () => {
      assert.throws(
        () =>
          accuracyVsStepsFigure([
            { method: 'TTT', step: 1, accuracy: 0.5 },
            { method: 'TTT', step: 1, accuracy: 0.6 },
          ]),
        /two points for method 'TTT'/,
      );
      assert.throws(() => accuracyVsStepsFigure([{ method: 'TTT', step: 1, accuracy: 55 }]), /proportion in \[0, 1\]/);
    });
  });

  describe('accuracyVsSnrFigure', () => {
    it('puts SNR on x, one line per method', () => {
      const figure = accuracyVsSnrFigure([
        { method: 'no TTT', snrDb: 10, accuracy: 0.7 },
        { method: 'no TTT', snrDb: -5, accuracy: 0.3 },
        { method: 'TTT', snrDb: -5, accuracy: 0.4 },
      ]);
      assert.equal(figure.data.length, 2);
      assert.deepEqual((figure.data[0] as ScatterTrace).x, [-5, 10]);
      assert.equal(figure.layout.xaxis.title.text, 'SNR (dB)');
    });
  });

  describe('barFigure', () => {
    it('groups bars by series with values as labels', () => {
      const figure = barFigure(
        [
          { category: 'babble', series: 'BitFit', value: 0.6 },
          { category: 'white', series: 'BitFit', value: 0.5 },
          { category: 'babble', series: 'full', value: 0.62, error: 0.02 },
          { category: 'white', series: 'full', value: 0.55, error: 0.02 },
        ],
        { title: 'BitFit vs full', xTitle: 'condition', yTitle: 'accuracy', proportion: true },
      );
      assert.equal(figure.data.length, 2);
      assert.deepEqual(
        figure.data.map((t) => t.name),
        ['BitFit', 'full'],
      );
      assert.deepEqual(figure.data[1].type === 'bar' && figure.data[1].y, [0.62, 0.55]);
      assert.equal(figure.layout.barmode, 'group');
      assert.equal(figure.layout.yaxis.tickformat, '.0%');
      assert.ok(figure.data[1].type === 'bar' && figure.data[1].error_y);
    });
  });

  describe('lineFigure', () => {
    it('accepts typed arrays and leaves gaps at non-finite values', () => {
      const figure = lineFigure([{ name: 'loss', y: Float32Array.from([2, NaN, 1]) }], { title: 'Loss', xTitle: 'step', yTitle: 'loss', logY: true });
      const trace = figure.data[0] as ScatterTrace;
      assert.deepEqual(trace.x, [0, 1, 2]);
      assert.deepEqual(trace.y, [2, null, 1]);
      assert.equal(figure.layout.yaxis.type, 'log');
    });

    it('rejects x and y of different lengths', () => {
      assert.throws(() => lineFigure([{ name: 'a', x: [0, 1], y: [1] }], { title: 'T', xTitle: 'x', yTitle: 'y' }), /2 x values but 1 y values/);
    });
  });

  describe('heatmapFigure', () => {
    it('puts frames along x and mel bins up y (z is [bins][frames])', () => {
      const matrix = [
        [1, 2, 3],
        [4, 5, 6],
      ]; // 2 frames × 3 bins
      const figure = heatmapFigure(matrix);
      const trace = figure.data[0] as HeatmapTrace;
      assert.deepEqual(trace.z, [
        [1, 4],
        [2, 5],
        [3, 6],
      ]);
      assert.equal(figure.layout.xaxis.title.text, 'time frame');
      assert.equal(figure.layout.yaxis.title.text, 'mel bin');
      assert.notEqual(figure.layout.yaxis.autorange, 'reversed', 'origin stays at the lower left');
      assert.equal(trace.zmin, 1);
      assert.equal(trace.zmax, 6);
    });

    it('reads a flat Float32Array with its shape and rounds cells', () => {
      const flat = Float32Array.from([0.123456, 1, 2, 3, 4, 5]);
      const figure = heatmapFigure(flat, { shape: [3, 2], digits: 3 });
      assert.deepEqual((figure.data[0] as HeatmapTrace).z, [
        [0.123, 2, 4],
        [1, 3, 5],
      ]);
      assert.throws(() => heatmapFigure(flat), /needs its shape/);
      assert.throws(() => heatmapFigure(flat, { shape: [4, 2] }), /do not fill shape/);
    });
  });

  describe('maskedSpectrogramFigure', () => {
    it('greys out exactly the hidden patches (tokens in time-major order)', () => {
      const frames = 4;
      const bins = 6;
      const mask = [1, 0, 0, 0, 0, 1]; // 2×2 patches: 2 time columns × 3 frequency rows
      const figure = maskedSpectrogramFigure(fbank(frames, bins), mask, 2);
      const [visible, overlay] = figure.data as HeatmapTrace[];
      assert.equal(figure.data.length, 2);
      // Token 0: frames 0-1, bins 0-1. Token 5: frames 2-3, bins 4-5.
      assert.equal(visible.z[0][0], null);
      assert.equal(overlay.z[1][1], 1);
      assert.equal(visible.z[5][3], null);
      assert.equal(overlay.z[4][2], 1);
      assert.notEqual(visible.z[2][0], null);
      assert.equal(overlay.z[2][0], null);
      assert.match(figure.layout.title.text, /2 of 6 hidden/);
    });

    it('rejects a mask that does not fit the patch grid', () => {
      assert.throws(() => maskedSpectrogramFigure(fbank(4, 6), [1, 0], 2), /mask has 2 entries, the fbank has 6 patches/);
      assert.throws(() => maskedSpectrogramFigure(fbank(5, 6), [1, 0], 2), /not tiled/);
    });
  });

  describe('confusionMatrixFigure', () => {
    it('labels true classes down and predictions across, with accuracy in the title', () => {
      const figure = confusionMatrixFigure(['angry', 'sad'], [
        [3, 1],
        [0, 4],
      ]);
      const trace = figure.data[0] as HeatmapTrace;
      assert.deepEqual(trace.x, ['angry', 'sad']);
      assert.deepEqual(trace.y, ['angry', 'sad']);
      assert.equal(figure.layout.yaxis.autorange, 'reversed');
      assert.equal(figure.layout.xaxis.title.text, 'predicted');
      assert.equal(figure.layout.yaxis.title.text, 'true');
      assert.match(figure.layout.title.text, /accuracy 87\.5%, n = 8/);
    });

    it('normalises rows to shares of the true class', () => {
      const figure = confusionMatrixFigure(['a', 'b'], [[3, 1], [0, 0]], { normalize: true });
      assert.deepEqual((figure.data[0] as HeatmapTrace).z, [
        [0.75, 0.25],
        [0, 0],
      ]);
      assert.throws(() => confusionMatrixFigure(['a', 'b', 'c'], [[1, 2], [3, 4]]), /shape/);
    });
  });
});

describe('matrixToPng', () => {
  it('encodes a spectrogram with bin 0 at the bottom', () => {
    // 2 frames × 3 bins; the only high value is frame 1, bin 0.
    const image = matrixToPng(
      [
        [0, 0, 0],
        [1, 0, 0],
      ],
      { width: 2, height: 3, colormap: 'gray' },
    );
    const png = decode(image.png);
    assert.equal(png.width, 2);
    assert.equal(png.height, 3);
    const pixel = (x: number, y: number) => Array.from(png.data.slice((y * 2 + x) * 4, (y * 2 + x) * 4 + 4));
    assert.deepEqual(pixel(1, 2), [255, 255, 255, 255], 'bottom right is white');
    assert.deepEqual(pixel(1, 0), [0, 0, 0, 255], 'top right is black');
  });

  it('enlarges small matrices and leaves non-finite cells transparent', () => {
    const image = matrixToPng(Float32Array.from([NaN, 1, 2, 3]), { shape: [2, 2], orientation: 'image' });
    assert.equal(image.width, 256);
    assert.equal(image.height, 256);
    const png = decode(image.png);
    assert.equal(png.data[3], 0);
  });

  it('uses plotly\'s viridis ends', () => {
    assert.deepEqual(colorAt('viridis', 0), [0x44, 0x01, 0x54]);
    assert.deepEqual(colorAt('viridis', 1), [0xfd, 0xe7, 0x25]);
  });
});

describe('tableHtml', () => {
  it('escapes cells, aligns numbers and says how many rows were cut', () => {
    const html = tableHtml(
      [
        { condition: '<babble>', accuracy: 0.123456 },
        { condition: 'white', accuracy: 1 },
        { condition: 'pink', accuracy: 0.5 },
      ],
      { maxRows: 2 },
    );
    assert.match(html, /<th>condition<\/th><th>accuracy<\/th>/);
    assert.match(html, /&lt;babble&gt;/);
    assert.match(html, /<td style="text-align:right">0\.1235<\/td>/);
    assert.match(html, /… 1 more row</);
  });

  it('reads {columns, values} (a DataFrame)', () => {
    assert.match(tableHtml({ columns: ['a', 'b'], values: [[1, 'x']] }), /<td style="text-align:right">1<\/td><td>x<\/td>/);
  });
});

describe('figure HTML', () => {
  it('keeps the figure JSON from closing its script element', () => {
    const figure = lineFigure([{ name: '</script><script>alert(1)</script>', y: [1, 2] }], { title: '<b>t</b>', xTitle: 'x', yTitle: 'y' });
    const html = figureHtml(figure, { id: 'fig-1', height: 300 });
    assert.equal(html.match(/<\/script/gi)?.length, 1, 'only the closing tag');
    assert.equal(html.match(/<script/gi)?.length, 1, 'only the opening tag');
    assert.ok(html.includes('\\u003c/script>\\u003cscript>alert(1)'));
    assert.ok(html.startsWith('<div id="fig-1" class="ttt-figure" style="width:100%;height:300px"></div>'));
    const spec = html.slice(html.indexOf('var s=') + 6, html.indexOf(';var k=0'));
    assert.deepEqual(JSON.parse(spec).data, JSON.parse(JSON.stringify(figure.data)), 'the escaped JSON still parses to the figure');
  });

  it('takes the height from the layout, and refuses unusable ids', () => {
    const figure = accuracyVsStepsFigure(stepRows(['a', 'b', 'c', 'd'], ['m'], 1));
    assert.match(figureHtml(figure), new RegExp(`height:${figure.layout.height}px`));
    assert.throws(() => figureHtml(figure, { id: 'x" onload="evil' }), /not a usable element id/);
  });

  it('escapes </script in inlined script text', () => {
    assert.equal(escapeScriptText('a</script>b</SCRIPT>'), 'a<\\/script>b<\\/SCRIPT>');
    const tag = plotlyScriptTag();
    assert.ok(tag.startsWith('<script type="text/javascript">'));
    assert.equal(tag.match(/<\/script/gi)?.length, 1);
    assert.ok(tag.includes(PLOTLY_BANNER));
  });
});

describe('report HTML', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ttt-report-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('inlines plotly once and has one figure div per figure', () => {
    const figures = allFigures();
    const html = reportHtml({
      title: 'TTT <report>',
      sections: [
        { heading: 'Accuracy', text: 'First paragraph.\n\nSecond & last.', figures: figures.slice(0, 3) },
        { heading: 'Spectrograms', figures: figures.slice(3), tablesHtml: [tableHtml([{ a: 1 }])] },
      ],
    });
    assert.equal(html.split(PLOTLY_BANNER).length - 1, 1);
    assert.equal(html.match(/class="ttt-figure"/g)?.length, figures.length);
    assert.match(html, /<title>TTT &lt;report&gt;<\/title>/);
    assert.match(html, /<p>Second &amp; last\.<\/p>/);
    assert.match(html, /<table class="ttt-table">/);
    const ownMarkup = html.replace(plotlyScriptTag(), '');
    assert.ok(!/(src|href)="https?:/.test(ownMarkup), 'nothing is fetched from the network');
  });

  it('leaves plotly out of a report without figures', () => {
    assert.ok(!reportHtml({ title: 'T', sections: [{ heading: 'H', text: 'x' }] }).includes(PLOTLY_BANNER));
  });

  it('writes the file atomically (no temporary file left behind)', () => {
    const path = join(dir, 'sub', 'report.html');
    writeReportHtml(path, { title: 'T', sections: [{ heading: 'H', figures: allFigures().slice(0, 1) }] });
    assert.ok(readFileSync(path, 'utf8').startsWith('<!DOCTYPE html>'));
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['report.html']);
  });

  describe('in headless Chromium', function () {
    this.timeout(120_000);
    before(function () {
      if (!hasChromium()) {
        console.log(`      (skipped: ${CHROMIUM} not found; install it with: apt-get install -y chromium)`);
        this.skip();
      }
    });

    it('draws every figure offline', () => {
      const figures = allFigures();
      const path = join(dir, 'render.html');
      writeReportHtml(path, { title: 'Render check', sections: [{ heading: 'All figures', figures }] });
      const dom = renderedDom(dir, path);
      assert.equal(dom.match(/class="ttt-figure js-plotly-plot"/g)?.length, figures.length, 'plotly took over every figure div');
      assert.ok((dom.match(/class="main-svg"/g)?.length ?? 0) >= figures.length, 'every figure has its SVG');

      assert.ok(screenshot(dir, path, 'plot-report.png') > 20_000, 'the screenshot shows more than a blank page');
    });
  });
});
