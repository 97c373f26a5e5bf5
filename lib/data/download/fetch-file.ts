/**
 * One resumable, verified download. Bytes go to `<dest>.part`; an interrupted run leaves that
 * file behind and the next run asks only for the rest (HTTP Range). The file is renamed to its
 * final name only after its digest matches, so a file under its final name is always complete
 * and checked.
 */
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { Checksum } from './hash.js';
import { ChecksumMismatchError, hashFile } from './hash.js';

/** What to download and how to check it. */
export interface DownloadFileOptions {
  url: string;
  /** Final path of the file. */
  dest: string;
  /** Digest the file must have; without one, its SHA-256 is computed and returned. */
  expected?: Checksum;
  /** Where `expected` comes from (`pinned`, `published by Zenodo`, `lock file`), for error messages. */
  expectedOrigin?: string;
  /** Size in bytes, when known in advance. */
  size?: number;
  /** Told the bytes received so far and the total when known. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Network errors retried (each retry resumes); default 3. */
  retries?: number;
  /** `fetch` to use; default the global one. */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. `User-Agent`). */
  headers?: Record<string, string>;
}

/** What {@link downloadFile} did. */
export interface DownloadFileResult {
  path: string;
  /** `present`: the final file was already there and nothing was fetched. */
  status: 'downloaded' | 'present';
  /** Bytes that were already in the `.part` file when this call started. */
  resumedFrom: number;
  /** The file's digest (for `present`, not computed: `undefined`). */
  checksum: Checksum | undefined;
  size: number;
}

/** A download that the server refused or cut short. */
export class DownloadError extends Error {
  /** The URL asked for. */
  readonly url: string;
  /** HTTP status, when there was a response. */
  readonly status: number | undefined;

  constructor(url: string, problem: string, status?: number) {
    super(`${url}: ${problem}`);
    this.name = 'DownloadError';
    this.url = url;
    this.status = status;
  }
}

const NETWORK_ERROR_WORDS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'host not found: no network, or a wrong host name',
  EAI_AGAIN: 'host name lookup failed for now: no network, or DNS is down',
  ECONNREFUSED: 'connection refused: nothing listens there',
  ECONNRESET: 'connection reset by the other side',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out while connecting',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/**
 * Why a request failed, in words. Node's fetch reports every failure to connect as
 * `TypeError: fetch failed` and keeps the reason (ENOTFOUND, ECONNREFUSED, …) in `err.cause`,
 * sometimes inside an AggregateError (one error per address tried).
 */
export function describeNetworkError(err: unknown): string {
  let cause = (err as { cause?: unknown }).cause ?? err;
  const inner = (cause as { errors?: unknown[] }).errors;
  if (!(cause as NodeJS.ErrnoException).code && Array.isArray(inner) && inner.length > 0) cause = inner[0];
  const code = (cause as NodeJS.ErrnoException).code;
  const message = cause instanceof Error && cause.message ? cause.message : String(code ?? cause);
  const words = code ? NETWORK_ERROR_WORDS[code] : undefined;
  return words ? `${message} (${words})` : message;
}

/**
 * `doFetch(url, init)`, with a failure to connect turned into a {@link DownloadError} that
 * names the URL and the reason (see {@link describeNetworkError}), not only "fetch failed".
 */
export async function fetchOrExplain(doFetch: typeof fetch, url: string, init?: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    throw new DownloadError(url, `cannot connect: ${describeNetworkError(err)}`);
  }
}

/** The `.part` file that holds a download in progress. */
export function partPath(dest: string): string {
  return `${dest}.part`;
}

function fileSize(path: string): number {
  return existsSync(path) ? statSync(path).size : 0;
}

function contentRangeStart(header: string | null): number | undefined {
  const match = header ? /^bytes\s+(\d+)-/i.exec(header) : null;
  return match ? Number(match[1]) : undefined;
}

// Fetches from `start` (or from 0 when the server ignores Range) into the part file.
async function fetchInto(part: string, start: number, options: DownloadFileOptions): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (start > 0) headers.Range = `bytes=${start}-`;
  const response = await fetchOrExplain(doFetch, options.url, { headers, redirect: 'follow' });
  if (response.status === 416 && start > 0) {
    // The server has no bytes past `start`: the part file is already whole.
    await response.body?.cancel();
    return;
  }
  let offset = start;
  if (response.status === 206) {
    if (contentRangeStart(response.headers.get('content-range')) !== start) {
      await response.body?.cancel();
      throw new DownloadError(options.url, `the server answered a request for bytes ${start}- with ${response.headers.get('content-range')}`);
    }
  } else if (response.ok) {
    offset = 0; // Range ignored: the whole file follows.
  } else {
    await response.body?.cancel();
    throw new DownloadError(options.url, `HTTP ${response.status} ${response.statusText}`, response.status);
  }
  if (!response.body) throw new DownloadError(options.url, 'the response has no body');
  const length = Number(response.headers.get('content-length'));
  const total = options.size ?? (Number.isFinite(length) && length > 0 ? offset + length : undefined);
  let received = offset;
  options.onProgress?.(received, total);
  // Each chunk is written before the next is read, so whatever arrived before a dropped
  // connection is on disk for the next attempt to resume from.
  const fd = openSync(part, offset > 0 ? 'a' : 'w');
  try {
    for await (const chunk of Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)) {
      writeSync(fd, chunk as Buffer);
      received += (chunk as Buffer).length;
      options.onProgress?.(received, total);
    }
  } finally {
    closeSync(fd);
  }
  if (total !== undefined && received < total) {
    throw new DownloadError(options.url, `the connection ended after ${received} of ${total} bytes`);
  }
}

function isRetryable(err: unknown): boolean {
  if (err instanceof DownloadError) return err.status === undefined || err.status >= 500 || err.status === 429;
  return !(err instanceof ChecksumMismatchError);
}

/**
 * Downloads `url` to `dest`, resuming a `.part` file left by an earlier run, checking the size
 * and digest, and renaming into place only when both match. A digest mismatch deletes the part
 * file (its bytes cannot be trusted to resume from) and throws {@link ChecksumMismatchError}.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadFileResult> {
  const { dest } = options;
  if (existsSync(dest)) return { path: dest, status: 'present', resumedFrom: 0, checksum: undefined, size: fileSize(dest) };
  await mkdir(dirname(dest), { recursive: true });
  const part = partPath(dest);
  if (options.size !== undefined && fileSize(part) > options.size) rmSync(part);
  const resumedFrom = fileSize(part);
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const start = fileSize(part);
    try {
      if (options.size === undefined || start < options.size) await fetchInto(part, start, options);
      break;
    } catch (err) {
      if (attempt >= retries || !isRetryable(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** attempt)));
    }
  }
  const size = fileSize(part);
  if (options.size !== undefined && size !== options.size) {
    rmSync(part, { force: true });
    throw new DownloadError(options.url, `received ${size} bytes, expected ${options.size}`);
  }
  const algorithm = options.expected?.algorithm ?? 'sha256';
  const actual = await hashFile(part, algorithm);
  if (options.expected && actual !== options.expected.hex.toLowerCase()) {
    rmSync(part, { force: true });
    throw new ChecksumMismatchError(dest, options.expected, actual, options.expectedOrigin ?? 'expected');
  }
  renameSync(part, dest);
  return { path: dest, status: 'downloaded', resumedFrom, checksum: { algorithm, hex: actual }, size };
}
