/// <reference types="node" preserve="true" />
/**
 * The public API of autotrex: what a profile imports with `import { ... } from "autotrex"`.
 * Its types use Node's (Buffer): the reference, kept in index.d.ts by `preserve`, makes them
 * resolve in a profile's project whatever its tsconfig "types" says (@types/node is a
 * dependency for this).
 */
export * from "./rate/line-rate.ts";
export * from "./packet/index.ts";
export * from "./vm/index.ts";
export * from "./profile/index.ts";
