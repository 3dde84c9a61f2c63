/** Profiles: defineProfile() for authors, the loader and stream resolution for runners. */
export {
  defineProfile,
  isProfile,
  resolveStreams,
  ProfileError,
  StreamFrameTooSmallError,
  type Profile,
  type ProfileDefinition,
  type ProfileContext,
  type StreamSpec,
  type StreamMode,
  type FlowStats,
  type ResolvedStream,
} from "./profile.ts";
export {
  DEFAULT_PROFILE_TIMEOUT_S,
  loadProfile,
  ProfileInterruptedError,
  runPlan,
  type LoadedProfile,
  type LoadProfileOptions,
  type ProfilePlan,
} from "./loader.ts";
