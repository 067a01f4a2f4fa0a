import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SELF_HOSTED_FIXTURE, SENTRY_DIR, STATE_DIR, git, makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

const TAGS = ["24.1.0", "24.8.0", "25.5.1", "26.5.0", "26.5.1", "26.7.0", "26.8.0"];
let upstream = "";
let upstreamUrl = "";

// A stand-in for the getsentry/self-hosted repository: the fixture tree with
// one commit and tag per release (only SENTRY_IMAGE in .env differs).
beforeAll(() => {
  upstream = makeSandbox().scratch;
  fs.cpSync(SELF_HOSTED_FIXTURE, upstream, { recursive: true });
  git(upstream, "init", "-q", "-b", "master");
  for (const tag of TAGS) {
    const env = fs.readFileSync(path.join(upstream, ".env"), "utf8").replace(/^SENTRY_IMAGE=.*$/m, `SENTRY_IMAGE=ghcr.io/getsentry/sentry:${tag}`);
    fs.writeFileSync(path.join(upstream, ".env"), env);
    git(upstream, "add", "-A");
    git(upstream, "commit", "-q", "-m", `release ${tag}`);
    git(upstream, "tag", tag);
  }
  upstreamUrl = `file://${upstream}`;
});
afterAll(removeSandboxes);

function env(version: string, extra: Record<string, string> = {}) {
  return { SENTRY_DIR, SENTRY_STATE_DIR: STATE_DIR, SENTRY_VERSION: version, SENTRY_REPO_URL: upstreamUrl, ...extra };
}
function installed(sb: Sandbox, version: string) {
  sb.write(`${STATE_DIR}/installed-version`, `${version}\n`);
}
const head = (sb: Sandbox) => git(sb.host(SENTRY_DIR), "rev-parse", "HEAD");
const tagCommit = (tag: string) => git(upstream, "rev-parse", `${tag}^{commit}`);
const imageTag = (sb: Sandbox) => /^SENTRY_IMAGE=.*:(.*)$/m.exec(sb.read(`${SENTRY_DIR}/.env`))?.[1];

describe("checkout-self-hosted.sh", () => {
  it("clones the release tag on a fresh install", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status, r.output).toBe(0);
    expect(head(sb)).toBe(tagCommit("26.8.0"));
    expect(imageTag(sb)).toBe("26.8.0");
    expect(r.stdout).toContain("fresh install of 26.8.0");
  });

  it("is a no-op without network access when already at the tag", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("26.8.0")).status).toBe(0);
    installed(sb, "26.8.0");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0", { SENTRY_REPO_URL: "file:///nonexistent/self-hosted" }));
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("already at 26.8.0; nothing to do");
    expect(git(sb.host(SENTRY_DIR), "remote", "get-url", "origin")).toBe(upstreamUrl);
  });

  it("upgrades to the next release, keeping untracked local configuration", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("26.7.0")).status).toBe(0);
    installed(sb, "26.7.0");
    sb.write(`${SENTRY_DIR}/.env.custom`, "COMPOSE_PROFILES=errors-only\n");
    sb.write(`${SENTRY_DIR}/sentry/config.yml`, "system.url-prefix: 'http://x'\n");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status, r.output).toBe(0);
    expect(head(sb)).toBe(tagCommit("26.8.0"));
    expect(r.stdout).toContain("moved from 26.7.0 to 26.8.0");
    expect(sb.read(`${SENTRY_DIR}/.env.custom`)).toBe("COMPOSE_PROFILES=errors-only\n");
  });

  it("allows an upgrade whose target is itself a hard stop", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("26.5.1")).status).toBe(0);
    installed(sb, "26.5.1");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.7.0"));
    expect(r.status, r.output).toBe(0);
    expect(head(sb)).toBe(tagCommit("26.7.0"));
  });

  it("refuses to skip hard stops, listing the whole path in order, before changing anything", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("24.1.0")).status).toBe(0);
    installed(sb, "24.1.0");
    const before = head(sb);
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("cannot upgrade 24.1.0 -> 26.8.0 in one step");
    expect(r.stderr).toContain("Upgrade 24.1.0 -> 24.8.0 -> 25.5.1 -> 26.5.0 -> 26.5.1 -> 26.7.0 -> 26.8.0");
    expect(r.stderr).toContain("next: SENTRY_VERSION=24.8.0");
    expect(head(sb)).toBe(before);
  });

  it("names the one hard stop between two nearby releases", () => {
    const sb = makeSandbox();
    installed(sb, "26.5.0");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.7.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Upgrade 26.5.0 -> 26.5.1 -> 26.7.0");
    expect(sb.exists(SENTRY_DIR)).toBe(false);
  });

  it("compares versions numerically (26.9 < 26.10)", () => {
    const sb = makeSandbox();
    installed(sb, "26.9.0");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.10.0", { SENTRY_HARD_STOPS: "26.9.1" }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("Upgrade 26.9.0 -> 26.9.1 -> 26.10.0");
  });

  it("refuses a downgrade before touching the checkout", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("26.8.0")).status).toBe(0);
    installed(sb, "26.8.0");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.7.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("SENTRY_VERSION=26.7.0 is older than the installed 26.8.0");
    expect(head(sb)).toBe(tagCommit("26.8.0"));
  });

  it.each(["25.12.0", "26.3.0", "26.4.0"])("refuses the known-bad release %s", (bad) => {
    const sb = makeSandbox();
    installed(sb, "25.5.1");
    const r = runScript(sb, "checkout-self-hosted.sh", env(bad));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`SENTRY_VERSION=${bad} is a known-bad release`);
    expect(sb.exists(SENTRY_DIR)).toBe(false);
  });

  it("refuses when tracked files were modified, naming them and the fix", () => {
    const sb = makeSandbox();
    expect(runScript(sb, "checkout-self-hosted.sh", env("26.7.0")).status).toBe(0);
    installed(sb, "26.7.0");
    fs.appendFileSync(sb.host(`${SENTRY_DIR}/.env`), "COMPOSE_PROFILES=errors-only\n");
    fs.appendFileSync(sb.host(`${SENTRY_DIR}/docker-compose.yml`), "# local edit\n");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("tracked files are modified in /data/self-hosted: .env docker-compose.yml");
    expect(r.stderr).toContain(".env.custom");
    expect(head(sb)).toBe(tagCommit("26.7.0"));
  });

  it("refuses to clone into a non-empty directory that is not a checkout", () => {
    const sb = makeSandbox();
    sb.write(`${SENTRY_DIR}/notes.txt`, "mine");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("is not empty and is not a git checkout");
    expect(sb.read(`${SENTRY_DIR}/notes.txt`)).toBe("mine");
  });

  it("fails clearly when the tag does not exist upstream", () => {
    const sb = makeSandbox();
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.9.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("git clone of");
    expect(r.stderr).toContain("at tag 26.9.0 failed");
  });

  const bad: [string, Record<string, string>, string][] = [
    ["a v-prefixed version", { SENTRY_VERSION: "v26.8.0" }, "SENTRY_VERSION='v26.8.0'"],
    ["a branch", { SENTRY_VERSION: "master" }, "SENTRY_VERSION='master'"],
    ["a missing version", { SENTRY_VERSION: "" }, "SENTRY_VERSION is required"],
    ["a missing SENTRY_DIR", { SENTRY_DIR: "" }, "SENTRY_DIR is required"],
    ["a missing SENTRY_STATE_DIR", { SENTRY_STATE_DIR: "" }, "SENTRY_STATE_DIR is required"],
    ["a malformed hard stop", { SENTRY_HARD_STOPS: "24.8" }, "SENTRY_HARD_STOPS contains '24.8'"],
  ];
  it.each(bad)("rejects %s, naming the variable", (_name, extra, message) => {
    const sb = makeSandbox();
    const r = runScript(sb, "checkout-self-hosted.sh", { ...env("26.8.0"), ...extra });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(sb.exists(SENTRY_DIR)).toBe(false);
  });

  it("rejects a malformed installed-version file, naming it", () => {
    const sb = makeSandbox();
    sb.write(`${STATE_DIR}/installed-version`, "latest\n");
    const r = runScript(sb, "checkout-self-hosted.sh", env("26.8.0"));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("/data/sentry-deploy/installed-version holds 'latest'");
    expect(sb.exists(SENTRY_DIR)).toBe(false);
  });
});
