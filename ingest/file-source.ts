// A fallback file as a mount of its own: looped, paced in real time by its
// frames' (or Ogg pages') durations, read from disk as it plays (never the
// whole file), written once into its mount's ring so every listener hears
// it at one position. Its title comes from the file's ID3 tag (or its name).
// It runs from start-up (or the reload that adds it) until stopped, so a
// fallback to it finds audio at once.

import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { fileMountName } from '../relay/core/fallbacks.js';
import { updateMountTitle } from '../relay/core/mount-title.js';
import type { MountRegistry, SourceInput } from '../relay/core/mounts.js';
import { frameFormatOf, id3v2Length } from '../relay/formats/frame-header.js';
import { id3Title } from '../relay/formats/id3-title.js';
import type { Metrics } from '../relay/metrics/metrics.js';
import { readOggPages } from './ogg-file-pages.js';
import { type Frame, readFrames } from './push.js';

/** How far ahead of real time the file runs, so its ring always holds a burst. */
const LEAD_MS = 1000;
/** Bytes read to find an ID3 tag's title. */
const TAG_READ_BYTES = 256 * 1024;

export const FILE_TYPES: Readonly<Record<string, string>> = {
  '.mp3': 'audio/mpeg',
  '.aac': 'audio/aac',
  '.adts': 'audio/aac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
};

export interface FileSourceDeps {
  registry: MountRegistry;
  metrics: Metrics;
  log: Logger;
}

export class FileSource {
  readonly mount: string;
  readonly path: string;
  private readonly deps: FileSourceDeps;
  private stopped = false;
  private input: SourceInput | undefined;

  constructor(deps: FileSourceDeps, ofMount: string, path: string) {
    this.deps = deps;
    this.mount = fileMountName(ofMount);
    this.path = path;
  }

  start(): void {
    void this.run().catch((err: Error) => {
      this.deps.log.error({ mount: this.mount, file: this.path, err: err.message }, 'fallback file stopped');
      this.input?.end();
    });
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const contentType = FILE_TYPES[extname(this.path).toLowerCase()];
    if (!contentType) throw new Error('not an .mp3, .aac or .ogg file');
    const title = (await this.tagTitle(contentType)) ?? basename(this.path);
    const input = this.deps.registry.attachFileSource(this.mount, contentType, { name: basename(this.path) }, this.path);
    this.input = input;
    updateMountTitle(this.deps, input.mount, title, '', 'file-tags');
    let announced = false;
    const startedAtMs = performance.now();
    let mediaMs = 0;
    const frameFormat = frameFormatOf(contentType);
    while (!this.stopped) {
      let frames = 0;
      const pass: AsyncGenerator<Frame> = frameFormat ? readFrames(this.path, frameFormat) : readOggPages(this.path);
      for await (const frame of pass) {
        if (this.stopped) break;
        frames++;
        const aheadMs = mediaMs - (performance.now() - startedAtMs);
        if (aheadMs > LEAD_MS) await sleep(aheadMs - LEAD_MS);
        // The ring asks for one turn of the event loop when fan-out must catch up first.
        if (!input.write(frame.bytes)) await nextTurn();
        mediaMs += frame.durationMs;
        // Once a second of it is in the ring, listeners can be sent here.
        if (!announced && mediaMs >= 1000) {
          announced = true;
          this.deps.log.info({ mount: this.mount, file: this.path, contentType }, 'fallback file playing');
        }
      }
      if (frames === 0) throw new Error('the file holds no audio frames or pages');
    }
    input.end();
  }

  /** An MP3's ID3v2 "artist - title", read from the file's first bytes. */
  private async tagTitle(contentType: string): Promise<string | undefined> {
    if (contentType !== 'audio/mpeg') return undefined;
    const handle = await open(this.path, 'r');
    try {
      const head = Buffer.alloc(TAG_READ_BYTES);
      const { bytesRead } = await handle.read(head, 0, head.length, 0);
      const tag = head.subarray(
        0,
        Math.min(
          bytesRead,
          id3v2Length((i) => head[i] ?? 0),
        ),
      );
      return tag.length > 0 ? id3Title(tag) : undefined;
    } finally {
      await handle.close();
    }
  }
}

/** Keeps one FileSource per mount with a fallback-file, as the settings say (start-up and each reload). */
export class FileSources {
  private readonly deps: FileSourceDeps;
  private readonly running = new Map<string, FileSource>();

  constructor(deps: FileSourceDeps) {
    this.deps = deps;
  }

  /** `files`: mount name -> file path, for every mount that has one now. */
  sync(files: ReadonlyMap<string, string>): void {
    for (const [mount, source] of this.running) {
      if (files.get(mount) === source.path) continue;
      source.stop();
      this.running.delete(mount);
    }
    for (const [mount, path] of files) {
      if (this.running.has(mount)) continue;
      const source = new FileSource(this.deps, mount, path);
      this.running.set(mount, source);
      source.start();
    }
  }

  stopAll(): void {
    this.sync(new Map());
  }
}
