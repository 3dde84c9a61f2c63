import { describe, expect, it } from "vitest";
import { CliError, ExitCode, printable } from "../../src/cli/exit-codes.ts";

describe("printable", () => {
  it("escapes control bytes, DEL, C1 controls and bidirectional overrides; keeps text and newlines", () => {
    expect(printable("a\x00b\x1b[31mc\x7fd\x85e\u202ef\tg")).toBe(
      "a\\x00b\\x1b[31mc\\x7fd\\x85e\\u202ef\\x09g",
    );
    expect(printable("64 B: 4.29 Mpps — ok\nnext")).toBe("64 B: 4.29 Mpps — ok\nnext");
    expect(printable("one\r\ntwo\nthree", { oneLine: true })).toBe("one\\x0d\\ntwo\\nthree");
    expect(printable("lone \ud800 surrogate")).toBe("lone \\ud800 surrogate");
  });

  it("is applied to every CliError, whose status defaults to 2", () => {
    const err = new CliError("bad \x00 byte");
    expect(err.message).toBe("bad \\x00 byte");
    expect(err.exitCode).toBe(ExitCode.usage);
    expect(ExitCode.writeFailed).toBe(4);
  });
});
