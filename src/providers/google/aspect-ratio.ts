// OpenAI's `size` (`WIDTHxHEIGHT`) as the aspect ratio Google's image models take instead (`W:H`).
import { invalidRequest } from '../../core/errors.js';
import type { ImageRequest } from '../../core/images.js';

/** The aspect ratios Imagen makes. */
export const IMAGEN_ASPECT_RATIOS: readonly string[] = ['1:1', '3:4', '4:3', '9:16', '16:9'];

/**
 * The aspect ratio of `WIDTHxHEIGHT` among `ratios` (`W:H` names), within 2%: DALL·E 3's 1792x1024 is 16:9.
 */
export function aspectRatioOf(size: string, ratios = IMAGEN_ASPECT_RATIOS): string | undefined {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!match) return undefined;
  const ratio = Number(match[1]) / Number(match[2]);
  for (const name of ratios) {
    const [width, height] = name.split(':').map(Number) as [number, number];
    if (Math.abs(ratio / (width / height) - 1) <= 0.02) return name;
  }
  return undefined;
}

/** The aspect ratio a request's `size` asks for (none for `auto` or no size); a 400 when it is none of `ratios`. */
export function requestedAspectRatio(
  request: ImageRequest,
  ratios: readonly string[],
  family: string,
): string | undefined {
  if (request.size === undefined || request.size === 'auto') return undefined;
  const ratio = aspectRatioOf(request.size, ratios);
  if (!ratio)
    throw invalidRequest(
      `${family} makes images of aspect ratio ${ratios.slice(0, -1).join(', ')} or ${ratios.at(-1)}; '${request.size.slice(0, 32)}' is none of them.`,
      'size',
      'invalid_value',
    );
  return ratio;
}
