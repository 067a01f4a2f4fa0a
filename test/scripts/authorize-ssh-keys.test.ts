import * as fs from "node:fs";
import * as os from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { makeSandbox, removeSandboxes, runScript, type Sandbox } from "./harness";

afterAll(removeSandboxes);

// getent reads this machine's user database, so the test manages the keys of the user
// running it; HOST_ROOT keeps the file inside the sandbox.
const { username: USER, homedir: HOME } = os.userInfo();
const AUTHORIZED_KEYS = `${HOME}/.ssh/authorized_keys`;
const PULUMI_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPulumiOwnKey sentry-staging";
const ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAliceKey alice@laptop";
const BOB = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYBobKey= bob@desk";
const BEGIN = "# BEGIN sentry-deploy managed keys";
const END = "# END sentry-deploy managed keys";

function hostWithPulumiKey(): Sandbox {
  const sb = makeSandbox();
  sb.write(AUTHORIZED_KEYS, `${PULUMI_KEY}\n`, 0o600);
  return sb;
}

const run = (sb: Sandbox, keys: string[], extra: Record<string, string> = {}) =>
  runScript(sb, "authorize-ssh-keys.sh", { SSH_USER: USER, SSH_PUBLIC_KEYS: keys.join("\n"), ...extra });

describe("authorize-ssh-keys.sh", () => {
  it("adds the humans' keys in a managed block below the key Pulumi connects with", () => {
    const sb = hostWithPulumiKey();
    const r = run(sb, [ALICE, "", BOB]);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toBe(`authorize-ssh-keys: 2 managed key(s) for ${USER}\n`);
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${PULUMI_KEY}\n${BEGIN}\n${ALICE}\n${BOB}\n${END}\n`);
    expect(fs.statSync(sb.host(AUTHORIZED_KEYS)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(sb.host(`${HOME}/.ssh`)).mode & 0o777).toBe(0o700);
  });

  it("leaves the file byte-identical on a second run", () => {
    const sb = hostWithPulumiKey();
    expect(run(sb, [ALICE]).status).toBe(0);
    const first = sb.read(AUTHORIZED_KEYS);
    const r = run(sb, [ALICE]);
    expect(r.status, r.output).toBe(0);
    expect(r.stdout).toContain("unchanged (1 managed key(s)");
    expect(sb.read(AUTHORIZED_KEYS)).toBe(first);
  });

  it("replaces only its own block when the list changes, and empties it when the list is empty", () => {
    const sb = hostWithPulumiKey();
    expect(run(sb, [ALICE, BOB]).status).toBe(0);
    // Someone adds a key by hand below the block: it is not ours to remove.
    sb.write(AUTHORIZED_KEYS, `${sb.read(AUTHORIZED_KEYS)}ssh-ed25519 AAAAHandAdded carol@ops\n`);
    expect(run(sb, [BOB]).status).toBe(0);
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${PULUMI_KEY}\nssh-ed25519 AAAAHandAdded carol@ops\n${BEGIN}\n${BOB}\n${END}\n`);
    const r = run(sb, []);
    expect(r.status, r.output).toBe(0);
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${PULUMI_KEY}\nssh-ed25519 AAAAHandAdded carol@ops\n`);
  });

  it("creates ~/.ssh and the file when the user has none", () => {
    const sb = makeSandbox();
    const r = run(sb, [ALICE]);
    expect(r.status, r.output).toBe(0);
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${BEGIN}\n${ALICE}\n${END}\n`);
  });

  it("refuses a line that is not an OpenSSH public key and leaves the file alone", () => {
    const sb = hostWithPulumiKey();
    const r = run(sb, [ALICE, "-----BEGIN OPENSSH PRIVATE KEY-----"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("authorize-ssh-keys: ERROR: '-----BEGIN OPENSSH PRIVATE KEY-----...' in SSH_PUBLIC_KEYS is not an OpenSSH public key");
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${PULUMI_KEY}\n`);
  });

  it.each([
    ["a missing SSH_USER", { SSH_USER: "" }, "SSH_USER is required"],
    ["an unknown user", { SSH_USER: "no-such-user-here" }, "user 'no-such-user-here' does not exist on this host"],
  ])("fails clearly on %s", (_label, env, message) => {
    const sb = hostWithPulumiKey();
    const r = run(sb, [ALICE], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(sb.read(AUTHORIZED_KEYS)).toBe(`${PULUMI_KEY}\n`);
  });
});
