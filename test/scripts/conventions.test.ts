// Checks every host script against the project's conventions, and runs
// shellcheck over the scripts and the bash fixtures when it is installed.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES_DIR, SCRIPTS_DIR, STANDIN_BIN, onPath } from "./harness";

const allShellFiles = fs
  .readdirSync(SCRIPTS_DIR)
  .filter((f) => f.endsWith(".sh"))
  .sort();
/** The step scripts: everything but lib.sh, which they all source. */
const scripts = allShellFiles.filter((f) => f !== "lib.sh");
const LIB_FUNCTIONS = [...fs.readFileSync(path.join(SCRIPTS_DIR, "lib.sh"), "utf8").matchAll(/^([a-z_]+)\(\) \{/gm)].map((m) => m[1]);

const bashFixtures = [
  ...fs
    .readdirSync(STANDIN_BIN)
    .map((f) => path.join(STANDIN_BIN, f))
    .filter((p) => !fs.lstatSync(p).isSymbolicLink()),
  path.join(FIXTURES_DIR, "self-hosted", "install.sh"),
].filter((p) => fs.readFileSync(p, "utf8").startsWith("#!/usr/bin/env bash"));

/** The leading comment block after the shebang. */
function header(text: string): string {
  const lines = text.split("\n").slice(1);
  const end = lines.findIndex((l) => !l.startsWith("#"));
  return lines.slice(0, end).join("\n");
}

describe("host script conventions", () => {
  it("finds the scripts", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "wait-for-host.sh",
        "authorize-ssh-keys.sh",
        "prepare-data.sh",
        "install-docker.sh",
        "checkout-self-hosted.sh",
        "configure-sentry.sh",
        "install-sentry.sh",
        "start-sentry.sh",
        "create-admin.sh",
        "check-health.sh",
      ]),
    );
  });

  describe.each(scripts)("%s", (name) => {
    const text = fs.readFileSync(path.join(SCRIPTS_DIR, name), "utf8");
    const head = header(text);

    it("starts with the bash shebang and strict mode", () => {
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).toMatch(/^set -euo pipefail$/m);
    });

    it("documents every input variable (and its default) in the header", () => {
      const inputs = [...text.matchAll(/^([A-Z][A-Z0-9_]*)="\$\{\1:-([^}]*)\}"$/gm)];
      expect(inputs.length).toBeGreaterThan(0);
      for (const [, name, fallback] of inputs) {
        expect(head, `${name} is not documented`).toMatch(new RegExp(`\\b${name}\\b`));
        if (fallback !== "") expect(head, `default of ${name}`).toContain(fallback);
      }
      expect(head).toMatch(/HOST_ROOT[\s\S]*for tests only; leave empty/i);
    });

    it("sources lib.sh from its own directory, after naming itself, and nothing else", () => {
      const code = text.split("\n").filter((l) => !l.trimStart().startsWith("#"));
      const sourced = code.filter((l) => /^\s*(source|\.)\s/.test(l));
      expect(sourced).toEqual(['. "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # log, die, require_*, wait_with_heartbeat; beside this script']);
      expect(text.indexOf(`readonly SCRIPT=${name.replace(/\.sh$/, "")}\n`)).toBeGreaterThan(0);
      expect(text.indexOf("readonly SCRIPT=")).toBeLessThan(text.indexOf(sourced[0]));
    });

    it("defines none of lib.sh's helpers again", () => {
      expect(LIB_FUNCTIONS).toEqual(expect.arrayContaining(["log", "die", "require_abs_path", "require_seconds", "wait_with_heartbeat"]));
      for (const fn of LIB_FUNCTIONS) {
        expect(text, `${name} redefines ${fn}()`).not.toMatch(new RegExp(`^\\s*${fn}\\(\\)`, "m"));
      }
    });
  });
});

const hasShellcheck = onPath("shellcheck");

describe.runIf(hasShellcheck)("shellcheck", () => {
  // One shellcheck run per group: it is the slow part of this file.
  it("passes on every script in components/host/scripts, following lib.sh", () => {
    const r = spawnSync("shellcheck", allShellFiles.map((f) => path.join(SCRIPTS_DIR, f)), { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
  it("passes on the bash fixtures (stand-ins and the stand-in installer)", () => {
    expect(bashFixtures.length).toBeGreaterThan(10);
    const r = spawnSync("shellcheck", bashFixtures, { encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

if (!hasShellcheck) {
  describe("shellcheck", () => {
    it.skip("SKIPPED: shellcheck is not on PATH (apt-get install shellcheck)", () => {});
  });
}
