/**
 * The public API of autotrex: what a profile imports with `import { ... } from "autotrex"`.
 */
export * from "./rate/line-rate.ts";
