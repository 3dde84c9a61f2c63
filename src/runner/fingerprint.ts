/**
 * A profile's fingerprint: a hash of its source and one of the streams it resolves to at each
 * frame size. A resumed run checks it, so that one result never mixes two profiles (a run
 * that ended up half TCP, half UDP after the file was edited between the two halves).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { FrameTooSmallError } from "../packet/index.ts";
import { resolveStreams, type LoadedProfile } from "../profile/index.ts";
import type { ProfileFingerprint } from "../report/result.ts";

function sha256(text: string | Buffer): string {
  return createHash("sha256").update(text).digest("hex");
}

/** What the fingerprint hashes: the run's own sizes, overhead and sending port. */
export interface FingerprintPlan {
  sizes: readonly number[];
  encapOverhead: number;
  txPort: number;
}

/** The streams of one size as plain data: what goes on the wire, nothing else. */
function streamsText(profile: LoadedProfile, frameSize: number, plan: FingerprintPlan): string {
  try {
    // The run's tx port: the profile worker resolved the streams for that port only.
    const streams = resolveStreams(profile.profile, {
      frameSize,
      encapOverhead: plan.encapOverhead,
      portId: plan.txPort,
      direction: "forward",
    });
    return JSON.stringify(
      streams.map((s) => ({ ...s, packet: Buffer.from(s.packet).toString("hex") })),
    );
  } catch (err) {
    if (err instanceof FrameTooSmallError) return `n/a: ${err.message}`;
    throw err;
  }
}

export function profileFingerprint(
  profile: LoadedProfile,
  plan: FingerprintPlan,
): ProfileFingerprint {
  return {
    sourceSha256: sha256(readFileSync(profile.path)),
    streamsSha256: Object.fromEntries(
      plan.sizes.map((size) => [String(size), sha256(streamsText(profile, size, plan))]),
    ),
  };
}

/** How the profile differs from the one a run was measured with, in words; [] when it does not. */
export function fingerprintChanges(stored: ProfileFingerprint, now: ProfileFingerprint): string[] {
  const changes: string[] = [];
  if (stored.sourceSha256 !== now.sourceSha256) changes.push("its source changed");
  const sizes = Object.keys(stored.streamsSha256).filter(
    (size) => stored.streamsSha256[size] !== now.streamsSha256[size],
  );
  if (sizes.length > 0) changes.push(`its streams at ${sizes.join(", ")} B changed`);
  return changes;
}
