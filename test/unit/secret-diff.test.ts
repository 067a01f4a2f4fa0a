// A changed secret in a review diff (tools/review.ts diffSecrets, tools/secretReach.ts): offline
// every secret reads as the same [secret], so only the stack file's ciphertext tells that one
// changed, and only the program, evaluated again with that secret different, tells what a new
// value runs on deploy. These tests tie what the diff says to the provisioner's own code.
import { createHash } from "crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { SMTP_PASSWORD_STEPS, STEPS } from "../../components/host/provisioner";
import { Plan, planStack, readStackConfig, SECRET_OTHER_VALUE } from "../../tools/planner";
import { addSecretReach, diffPlans, renderDiff, SecretEffect, SecretReach } from "../../tools/review";
import { secretReach } from "../../tools/secretReach";
import { FINGERPRINT_LENGTH, secretFingerprints } from "../../tools/stackFile";

// Ciphertexts as a stack file holds them (`secure: v1:...`); the plan never sees a plaintext.
const CIPHER = {
    admin: "v1:Q2lwaGVydGV4dEFkbWluUGFzc3dvcmQ=",
    smtp1: "v1:U210cEZpcnN0Q2lwaGVydGV4dDExMTE=",
    smtp2: "v1:U210cFNlY29uZENpcGhlcnRleHQyMjI=",
    heartbeat: "v1:SGVhcnRiZWF0Q2lwaGVydGV4dDMzMzM=",
};
const secure = (c: string) => ({ secure: c });

/** prod with SMTP mail (a password to log in with), its secrets encrypted in the stack file. */
function prodConfig(secrets: Record<string, string | undefined>): Record<string, unknown> {
    const config: Record<string, unknown> = {
        ...readStackConfig("prod"),
        "sentry:mail": "smtp",
        "sentry:smtp": { host: "smtp.mail.example.net", port: 587, username: "sentry", security: "starttls" },
    };
    for (const [k, c] of Object.entries(secrets)) {
        if (c !== undefined) {
            config[k] = secure(c);
        }
    }
    return config;
}
const plan = (config: Record<string, unknown>) => planStack("prod", { allowPlaceholders: true, config });
const stepsOf = (r: SecretReach | undefined): SecretEffect[] => (r && "effects" in r ? r.effects : []);

let base: Plan;
const baseSecrets = { "sentry:adminPassword": CIPHER.admin, "sentry:smtpPassword": CIPHER.smtp1 };
beforeAll(async () => {
    base = await plan(prodConfig(baseSecrets));
});

describe("fingerprints of the stack file's encrypted values", () => {
    it("are the first hex digits of the ciphertext's SHA-256, for the secure keys only", () => {
        const f = secretFingerprints({ "sentry:smtpPassword": secure(CIPHER.smtp1), "sentry:adminEmail": "ops@example.org" });
        expect(Object.keys(f)).toEqual(["sentry:smtpPassword"]);
        expect(f["sentry:smtpPassword"]).toMatch(new RegExp(`^[0-9a-f]{${FINGERPRINT_LENGTH}}$`));
        expect(f["sentry:smtpPassword"]).toBe(createHash("sha256").update(CIPHER.smtp1).digest("hex").slice(0, FINGERPRINT_LENGTH));
        expect(secretFingerprints({ k: secure(CIPHER.smtp2) }).k).not.toBe(f["sentry:smtpPassword"]);
    });

    it("travel in the plan, never the ciphertext", () => {
        expect(Object.keys(base.secrets ?? {})).toEqual(["sentry:adminPassword", "sentry:smtpPassword"]);
        const text = JSON.stringify(base);
        for (const c of Object.values(CIPHER)) {
            expect(text).not.toContain(c);
            expect(text).not.toContain(c.slice(3));
        }
    });
});

describe("a secret changed in the stack file", () => {
    it("shows as changed with [secret] on both sides, and names the steps a new SMTP password re-runs, from the program", async () => {
        const headConfig = prodConfig({ ...baseSecrets, "sentry:smtpPassword": CIPHER.smtp2 });
        const head = await plan(headConfig);
        const d = diffPlans(base, head);
        // Offline the two plans are the same: only the fingerprints differ.
        expect(d.resources).toEqual([]);
        expect(d.steps).toEqual([]);
        expect(d.secrets).toEqual([{ key: "sentry:smtpPassword", kind: "changed", before: base.secrets!["sentry:smtpPassword"], after: head.secrets!["sentry:smtpPassword"] }]);

        const reach = await secretReach("prod", { allowPlaceholders: true, config: headConfig }, ["sentry:smtpPassword"]);
        const effects = stepsOf(reach["sentry:smtpPassword"]);
        // Exactly the steps whose triggers carry the password's digest (SMTP_PASSWORD_STEPS),
        // each replaced by that trigger; configure-sentry also reads it on stdin.
        expect(effects.map((e) => e.step)).toEqual([...SMTP_PASSWORD_STEPS]);
        expect(effects.every((e) => e.kind === "replace" && e.inputs.some((i) => /^triggers\[\d+\]$/.test(i)))).toBe(true);
        expect(effects.find((e) => e.step === "configure-sentry")!.inputs).toContain("stdin");
        expect(effects.map((e) => e.order)).toEqual(SMTP_PASSWORD_STEPS.map((s) => STEPS.indexOf(s) + 1));

        addSecretReach(d, reach);
        expect(d.steps.map((s) => [s.step, s.ifSecretNew])).toEqual(SMTP_PASSWORD_STEPS.map((s) => [s, ["sentry:smtpPassword"]]));
        const text = renderDiff(d);
        expect(text).toContain(
            "~  sentry:smtpPassword: [secret] -> [secret] (encrypted value changed in the stack file: a new value, or the same one set again, since Pulumi re-encrypts with a fresh nonce)\n",
        );
        expect(text).toMatch(/ {7}8\. configure-sentry {2}\(sentry-prod-provision-configure-sentry, replaced \(runs again\): stdin, triggers\[\d\] \(a trigger made from it\)\)\n/);
        expect(text).toContain("  14. test-mail  (sentry-prod-provision-test-mail, replace, only if the value of sentry:smtpPassword is new)\n");
        // Where it stands: after the heading (and any protected deletions), before the resources.
        expect(text.indexOf("Secret settings the stack file changes")).toBeLessThan(text.indexOf("No resource changes."));
        expect(text.indexOf("Secret settings the stack file changes")).toBeLessThan(text.indexOf("Host steps that run on deploy"));
        // Neither ciphertext nor a value (the plan's own stand-ins included) reaches the output.
        const json = JSON.stringify(d);
        for (const out of [text, json]) {
            for (const c of Object.values(CIPHER)) {
                expect(out).not.toContain(c.slice(3));
            }
            expect(out).not.toContain(SECRET_OTHER_VALUE);
        }
    });

    it("the admin password reaches create-admin's stdin only: an update that runs it again, no trigger, nothing after it", async () => {
        const reach = await secretReach("prod", { allowPlaceholders: true, config: prodConfig(baseSecrets) }, ["sentry:adminPassword"]);
        expect(stepsOf(reach["sentry:adminPassword"])).toEqual([
            { resource: "sentry-prod-provision-create-admin", type: "command:remote:Command", kind: "update", inputs: ["stdin"], step: "create-admin", order: STEPS.indexOf("create-admin") + 1 },
        ]);
    });

    it("the heartbeat URL reaches install-heartbeat's stdin only, and a secure URL plans offline", async () => {
        const config = prodConfig({ ...baseSecrets, "sentry:heartbeatUrl": CIPHER.heartbeat });
        const reach = await secretReach("prod", { allowPlaceholders: true, config }, ["sentry:heartbeatUrl"]);
        expect(stepsOf(reach["sentry:heartbeatUrl"]).map((e) => [e.step, e.kind, e.inputs])).toEqual([["install-heartbeat", "update", ["stdin"]]]);
        // A plaintext secret is still checked against its form.
        await expect(planStack("prod", { allowPlaceholders: true, config: prodConfig(baseSecrets), secrets: { "sentry:heartbeatUrl": "ftp://nowhere" } })).rejects.toThrow(/sentry:heartbeatUrl = \[secret\]: must be an http\(s\) URL/);
    });

    it("your own server's SSH key is every step's connection: a new key runs every step again", async () => {
        const config = {
            ...readStackConfig("staging"),
            "sentry:placement": "existing",
            "sentry:existingHost": { address: "10.0.0.5" },
            "sentry:adminPassword": secure(CIPHER.admin),
            "sentry:existingHostPrivateKey": secure("v1:S2V5Q2lwaGVydGV4dA=="),
        };
        const reach = await secretReach("own", { allowPlaceholders: true, config }, ["sentry:existingHostPrivateKey"]);
        const effects = stepsOf(reach["sentry:existingHostPrivateKey"]);
        expect(effects.map((e) => e.step)).toEqual([...STEPS]);
        expect(effects.every((e) => e.kind === "update" && e.inputs.join() === "connection.privateKey")).toBe(true);
    });

    it("identical stack files: no secret change", async () => {
        const again = await plan(prodConfig(baseSecrets));
        const d = diffPlans(base, again);
        expect(d.secrets).toEqual([]);
        expect(d.secretsUnknown).toBeUndefined();
        expect(renderDiff(d)).not.toContain("Secret settings");
    });

    it("a secret added or removed", async () => {
        const added = await plan(prodConfig({ ...baseSecrets, "sentry:heartbeatUrl": CIPHER.heartbeat }));
        const d = diffPlans(base, added);
        expect(d.secrets).toEqual([{ key: "sentry:heartbeatUrl", kind: "added", after: added.secrets!["sentry:heartbeatUrl"] }]);
        // Its structural effect shows as for any setting: the heartbeat step gets a stdin.
        expect(d.steps.map((s) => s.step)).toEqual(["install-heartbeat"]);
        expect(renderDiff(d)).toContain("+  sentry:heartbeatUrl: (unset) -> [secret] (added to the stack file)\n");

        const removed = diffPlans(added, base);
        expect(removed.secrets).toEqual([{ key: "sentry:heartbeatUrl", kind: "removed", before: added.secrets!["sentry:heartbeatUrl"] }]);
        expect(renderDiff(removed)).toContain("-  sentry:heartbeatUrl: [secret] -> (unset) (removed from the stack file;");
    });

    it("says it cannot tell against a base saved before plans carried fingerprints", () => {
        const { secrets: _s, ...old } = base;
        const d = diffPlans(old, base);
        expect(d.secrets).toEqual([]);
        expect(renderDiff(d)).toContain("Secret settings: unknown; the base carries no fingerprints of the stack file's encrypted values");
    });
});
