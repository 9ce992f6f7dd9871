// The duration of an uploaded audio file, read from its header (music-metadata) for transcription's
// admission and for answers that do not report it (text, srt, vtt). Only headers are read (no full scan
// of an MP3 without a Xing header: music-metadata then estimates from its bitrate and the file's size).
import { Readable } from 'node:stream';
import { parseStream } from 'music-metadata';

/** Seconds of audio, or undefined when the header cannot be read or does not tell. */
export async function headerSeconds(
  chunks: readonly Buffer[],
  size: number,
  mimeType: string,
): Promise<number | undefined> {
  try {
    const metadata = await parseStream(
      Readable.from(chunks, { objectMode: false }),
      { mimeType, size },
      { duration: false, skipCovers: true, skipPostHeaders: true },
    );
    const seconds = metadata.format.duration;
    return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
  } catch {
    return undefined;
  }
}
