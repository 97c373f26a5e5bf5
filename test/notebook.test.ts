import { strict as assert } from 'node:assert';
import { decode } from 'fast-png';
import {
  NotInKernelError,
  PLOTLY_MIME,
  canDisplay,
  loadPlotly,
  notebookProgress,
  progressText,
  setDisplayWriter,
  showAudio,
  showFigure,
  showImage,
  showMarkdown,
  showTable,
  useNotebookProgress,
} from '../lib/notebook/index.js';
import type { DisplayMessage } from '../lib/notebook/index.js';
import { lineFigure } from '../lib/plot/index.js';
import { createProgress, setProgressRenderer } from '../lib/util/index.js';

interface Sent {
  message: DisplayMessage;
  update: boolean;
}

function fakeWriter(): Sent[] {
  const sent: Sent[] = [];
  setDisplayWriter((message, update) => sent.push({ message, update }));
  return sent;
}

const figure = lineFigure([{ name: 'loss', y: [3, 2, 1] }], { title: 'Pre-training loss', xTitle: 'step', yTitle: 'loss' });
const isLoader = (sent: Sent) => String(sent.message.data['text/html']).includes('plotly.js (cartesian - minified)');

describe('notebook display', () => {
  afterEach(() => setDisplayWriter(undefined));

  describe('outside a kernel', () => {
    it('has nowhere to display, and says so', () => {
      assert.equal(canDisplay(), false);
      assert.throws(() => showFigure(figure), (err: unknown) => err instanceof NotInKernelError && /showFigure needs a running tslab notebook kernel/.test(err.message));
      assert.throws(() => showMarkdown('x'), NotInKernelError);
      assert.throws(() => useNotebookProgress(), /useNotebookProgress needs a running tslab/);
    });
  });

  describe('showFigure', () => {
    it('sends the plotly loader once, then one bundle per figure', () => {
      const sent = fakeWriter();
      showFigure(figure);
      showFigure(figure);
      assert.equal(sent.length, 3);
      assert.ok(isLoader(sent[0]));
      assert.ok(!isLoader(sent[1]) && !isLoader(sent[2]));
      assert.ok(sent.every((s) => s.update === false));
    });

    it('sends plotly JSON as an object, HTML that draws it, and a text fallback in one output', () => {
      const sent = fakeWriter();
      showFigure(figure, { id: 'fig-a' });
      const { data, transient } = sent[1].message;
      assert.deepEqual(Object.keys(data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
      assert.equal(typeof data[PLOTLY_MIME], 'object');
      assert.deepEqual(data[PLOTLY_MIME], { data: figure.data, layout: figure.layout, config: figure.config });
      assert.match(String(data['text/html']), /^<div id="fig-a" class="ttt-figure"/);
      assert.match(String(data['text/html']), /Plotly\.newPlot/);
      assert.equal(data['text/plain'], '<Figure: Pre-training loss>');
      assert.deepEqual(transient, {});
    });

    it('sends the loader again to a new destination, or when forced', () => {
      let sent = fakeWriter();
      showFigure(figure);
      sent = fakeWriter();
      showFigure(figure);
      assert.equal(sent.filter(isLoader).length, 1);
      loadPlotly();
      assert.equal(sent.filter(isLoader).length, 1);
      loadPlotly({ force: true });
      assert.equal(sent.filter(isLoader).length, 2);
    });
  });

  describe('media and text', () => {
    it('showAudio embeds a 16-bit WAV player with an escaped caption', () => {
      const sent = fakeWriter();
      showAudio(Float32Array.from({ length: 1600 }, (_, i) => 0.5 * Math.sin(i / 3)), 16000, 'clean <speech>');
      const html = String(sent[0].message.data['text/html']);
      assert.match(html, /<audio controls preload="metadata" src="data:audio\/wav;base64,/);
      assert.match(html, /clean &lt;speech&gt;/);
      const wav = Buffer.from(html.split('base64,')[1].split('"')[0], 'base64');
      assert.equal(wav.toString('ascii', 0, 4), 'RIFF');
      assert.equal(wav.readUInt32LE(24), 16000);
      assert.equal(wav.readUInt16LE(34), 16);
      assert.equal(sent[0].message.data['text/plain'], '<Audio: clean <speech>, 0.10 s at 16000 Hz>');
    });

    it('showImage sends a PNG of the requested size', () => {
      const sent = fakeWriter();
      showImage(Float32Array.from({ length: 12 }, (_, i) => i), { shape: [4, 3], width: 40, height: 30, colormap: 'viridis' });
      const png = decode(Buffer.from(String(sent[0].message.data['image/png']), 'base64'));
      assert.equal(png.width, 40);
      assert.equal(png.height, 30);
      assert.equal(sent[0].message.data['text/plain'], '<Image 40×30>');
    });

    it('showTable takes rows, a DataFrame-like value, or ready HTML', () => {
      const sent = fakeWriter();
      showTable([{ method: 'BitFit', accuracy: 0.61 }]);
      showTable({ columns: ['a'], values: [[1], [2]] });
      showTable('<table><tr><td>x</td></tr></table>');
      assert.match(String(sent[0].message.data['text/html']), /<td>BitFit<\/td>/);
      assert.equal(sent[1].message.data['text/plain'], '<Table: 2 rows>');
      assert.equal(sent[2].message.data['text/html'], '<table><tr><td>x</td></tr></table>');
    });

    it('showMarkdown sends Markdown with the text as fallback', () => {
      const sent = fakeWriter();
      showMarkdown('**TTT** helps');
      assert.deepEqual(sent[0].message.data, { 'text/markdown': '**TTT** helps', 'text/plain': '**TTT** helps' });
    });
  });

  describe('notebookProgress', () => {
    it('draws one output and redraws it in place, throttled', () => {
      const sent = fakeWriter();
      const progress = notebookProgress({ label: 'ttt', total: 10_000 });
      for (let i = 0; i < 10_000; i++) progress.tick(1, 'acc 0.61');
      progress.stop();
      progress.stop();
      // Ten thousand ticks in well under a second: the first draw, maybe one more, and the last.
      assert.ok(sent.length >= 2 && sent.length <= 5, `${sent.length} redraws`);
      const ids = new Set(sent.map((s) => s.message.transient.display_id));
      assert.equal(ids.size, 1);
      assert.ok([...ids][0]);
      assert.equal(sent[0].update, false);
      assert.ok(sent.slice(1).every((s) => s.update));
      const last = sent[sent.length - 1].message.data;
      assert.match(String(last['text/html']), /100% \| 10000\/10000/);
      assert.match(String(last['text/plain']), /^ttt \[#{30}\] 100% 10000\/10000 0s acc 0\.61$/);
    });

    it('shows an ETA while running', () => {
      const text = progressText({ label: 'pretrain', done: 25, total: 100, elapsedMs: 10_000, info: '', finished: false });
      assert.equal(text, 'pretrain [########----------------------] 25% 25/100 10s, ETA 30s');
    });

    it('useNotebookProgress makes library progress reports draw in the notebook', () => {
      const sent = fakeWriter();
      const saved = process.env.TTT_SPEECH_PROGRESS;
      process.env.TTT_SPEECH_PROGRESS = 'on';
      try {
        useNotebookProgress();
        const progress = createProgress({ label: 'corpus', total: 3 });
        progress.tick();
        progress.stop();
      } finally {
        setProgressRenderer(undefined);
        if (saved === undefined) delete process.env.TTT_SPEECH_PROGRESS;
        else process.env.TTT_SPEECH_PROGRESS = saved;
      }
      assert.ok(sent.length >= 2);
      assert.match(String(sent[sent.length - 1].message.data['text/plain']), /^corpus .* 1\/3/);
    });
  });
});
