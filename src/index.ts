/**
 * The public API of autotrex: what a profile imports with `import { ... } from "autotrex"`.
 */
export * from "./rate/line-rate.ts";
export * from "./packet/index.ts";
export * from "./vm/index.ts";
export * from "./profile/index.ts";
