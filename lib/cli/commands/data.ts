/**
 * `ttt-speech data …`: real corpora. `list` and `info` say what exists and under which licence;
 * `download` fetches (resuming, checking checksums), `verify` re-hashes, `prepare` writes the
 * manifest, and `get` does download then prepare.
 */
import { Argument, Command, Option } from 'commander';
import { CORPUS_NAMES, CORPUS_PARSERS, CORPUS_SOURCES, defaultDataDir, downloadCorpus, formatLicence, prepareCorpus, verifyCorpus } from '../../data/index.js';
import type { CorpusName } from '../../data/index.js';

interface CommonFlags {
  dataDir?: string;
}

interface DownloadFlags extends CommonFlags {
  acceptLicence?: boolean;
  extract: boolean;
}

interface PrepareFlags extends CommonFlags {
  root?: string;
  mic?: string;
  durations: boolean;
}

const corpusArgument = () => new Argument('<corpus>', 'corpus name').choices(CORPUS_NAMES);

const dataDirOption = () => new Option('--data-dir <dir>', 'data folder (default: $TTT_SPEECH_DATA or data/ in the package)');

function print(line: string): void {
  process.stdout.write(line + '\n');
}

function parseMic(value: string | undefined): 1 | 2 | 'both' | undefined {
  if (value === undefined) return undefined;
  if (value === '1' || value === '2') return Number(value) as 1 | 2;
  if (value === 'both') return 'both';
  throw new Error(`--mic must be 1, 2 or both, got '${value}'`);
}

async function runDownload(corpus: CorpusName, flags: DownloadFlags): Promise<boolean> {
  const summary = await downloadCorpus(corpus, { dataDir: flags.dataDir, acceptLicence: flags.acceptLicence, extract: flags.extract });
  if (summary.status === 'instructions') {
    print(summary.instructions);
    return false;
  }
  return true;
}

function runPrepare(corpus: CorpusName, flags: PrepareFlags): void {
  const mic = parseMic(flags.mic);
  const summary = prepareCorpus(corpus, {
    dataDir: flags.dataDir,
    root: flags.root,
    parse: { durations: flags.durations, ...(mic !== undefined ? { mic } : {}) },
  });
  print(summary.manifestPath);
}

function listCorpora(): void {
  const rows = CORPUS_NAMES.map((name) => {
    const source = CORPUS_SOURCES[name];
    const access = source.access === 'download' ? (source.licence.restrictive ? 'download (--accept-licence)' : 'download') : source.access;
    return [name, CORPUS_PARSERS[name].kind, access, source.licence.name];
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows) print(row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  '));
}

/** Adds the `data` command (with `list`, `info`, `download`, `verify`, `prepare`, `get`) to the program. */
export function registerDataCommand(program: Command): void {
  const data = program.command('data').description('real corpora: licence, download (resumable, checksummed), verify, prepare a manifest');

  data
    .command('list')
    .description('the corpora ttt-speech can read, how each is obtained, and its licence')
    .action(listCorpora);

  data
    .command('info')
    .description("a corpus's licence and how to get it")
    .addArgument(corpusArgument())
    .action((corpus: CorpusName) => {
      print(formatLicence(CORPUS_SOURCES[corpus]));
      print(CORPUS_SOURCES[corpus].instructions);
    });

  data
    .command('download')
    .description('download a corpus into <data-dir>/<corpus>/ (resumes; checks checksums; unpacks archives)')
    .addArgument(corpusArgument())
    .addOption(dataDirOption())
    .option('--accept-licence', 'accept a non-commercial or no-derivatives licence (RAVDESS, TESS, ESC-50)')
    .option('--no-extract', 'keep archives packed')
    .action(async (corpus: CorpusName, flags: DownloadFlags) => {
      await runDownload(corpus, flags);
    });

  data
    .command('verify')
    .description('re-hash the downloaded files against their published, pinned or learned checksums')
    .addArgument(corpusArgument())
    .addOption(dataDirOption())
    .action(async (corpus: CorpusName, flags: CommonFlags) => {
      const summary = await verifyCorpus(corpus, { dataDir: flags.dataDir });
      if (!summary.ok) {
        const bad = summary.files.filter((f) => f.status !== 'ok').length;
        throw new Error(`${corpus}: ${bad} of ${summary.files.length} file(s) missing, mismatched or without a checksum`);
      }
      print(`${corpus}: all ${summary.files.length} file(s) match`);
    });

  data
    .command('prepare')
    .description('list a local copy of a corpus into <data-dir>/<corpus>/manifest.csv')
    .addArgument(corpusArgument())
    .addOption(dataDirOption())
    .option('--root <dir>', 'the local copy, if not in <data-dir>/<corpus>/ (always needed for IEMOCAP, VoxCeleb, MS-SNSD)')
    .option('--mic <mic>', 'VCTK: microphone 1, 2 or both (default 1)')
    .option('--no-durations', 'skip reading each clip header for its duration')
    .action((corpus: CorpusName, flags: PrepareFlags) => runPrepare(corpus, flags));

  data
    .command('get')
    .description('download, then prepare')
    .addArgument(corpusArgument())
    .addOption(dataDirOption())
    .option('--accept-licence', 'accept a non-commercial or no-derivatives licence (RAVDESS, TESS, ESC-50)')
    .action(async (corpus: CorpusName, flags: DownloadFlags) => {
      if (await runDownload(corpus, { ...flags, extract: true })) runPrepare(corpus, { dataDir: flags.dataDir, durations: true });
    });

  data.addHelpText('after', () => `\nData folder now: ${safeDataDir()}`);
}

function safeDataDir(): string {
  try {
    return defaultDataDir();
  } catch {
    return '(set TTT_SPEECH_DATA)';
  }
}
