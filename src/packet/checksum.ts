/**
 * The Internet checksum (RFC 1071): one's complement of the one's complement sum of
 * 16-bit big-endian words; an odd trailing byte is padded with a zero byte.
 */

/** One's complement sum of `bytes` folded to 16 bits, starting from `initial` (not complemented). */
export function onesComplementSum(
  bytes: Uint8Array,
  initial = 0,
  start = 0,
  end = bytes.length,
): number {
  let sum = initial;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  // Folding twice is enough for any realistic length (sum < 2^32 up to ~128 KiB per call).
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/**
 * RFC 1071 checksum of `bytes`. `initial` is a partial one's complement sum to start
 * from (e.g. a pseudo-header sum from {@link onesComplementSum}). Returns the 16-bit value
 * to store in the packet (already complemented).
 */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}
