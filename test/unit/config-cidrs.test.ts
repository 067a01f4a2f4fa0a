// The loader on the CIDR lists of a stack file, as `pulumi preview` and the offline plan
// meet it: SSH judged by the address space the list covers together, repeated or contained
// entries refused before they become duplicate security-group rules at `pulumi up`.
import { describe, expect, it } from "vitest";
import { planStack, readStackConfig } from "../../tools/planner";

/** The problems the loader lists for staging's stack file with these values changed. */
async function problems(changes: Record<string, unknown>): Promise<string> {
    const config = { ...readStackConfig("staging"), ...changes };
    const err = await planStack("staging", { config, secrets: { "sentry:adminPassword": "config-test-password-0123456789" }, allowPlaceholders: true }).then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(err, "expected the loader to refuse the stack file").toBeInstanceOf(Error);
    return (err as Error).message;
}

describe("loader: SSH open to the internet, judged by coverage", () => {
    it("refuses 0.0.0.0/1 plus 128.0.0.0/1, naming both, the key and the fix", async () => {
        expect(await problems({ "sentry:adminSshCidrs": ["0.0.0.0/1", "128.0.0.0/1"] })).toContain(
            'sentry:adminSshCidrs = ["0.0.0.0/1","128.0.0.0/1"]: "0.0.0.0/1", "128.0.0.0/1" together open SSH to the whole internet (Security Hub EC2.13, CIS 5.2); ' +
                'list your own addresses instead, e.g. your public IP as x.x.x.x/32. Fix: list your public IP (curl -s https://checkip.amazonaws.com), e.g. sentry:adminSshCidrs: ["<your IP>/32"]',
        );
    });

    it("refuses IPv6 split the same way, and both families at once", async () => {
        const message = await problems({ "sentry:adminSshCidrs": ["2000::/4", "3000::/4", "0.0.0.0/0"] });
        expect(message).toContain('"0.0.0.0/0" opens SSH to the whole internet; "2000::/4", "3000::/4" together open SSH to the whole internet');
    });

    it("refuses a list wider than a /8 of public space, saying how wide", async () => {
        expect(await problems({ "sentry:adminSshCidrs": ["17.0.0.0/8", "18.0.0.0/9", "203.0.113.7/32"] })).toContain(
            '"17.0.0.0/8", "18.0.0.0/9" together open SSH to the internet (25,165,824 public IPv4 addresses, more than the 16,777,216 of a /8)',
        );
    });

    it("accepts private networks however wide, and one public /8", async () => {
        for (const cidrs of [["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"], ["17.0.0.0/8"]]) {
            const plan = await planStack("staging", {
                config: { ...readStackConfig("staging"), "sentry:adminSshCidrs": cidrs },
                secrets: { "sentry:adminPassword": "config-test-password-0123456789" },
                allowPlaceholders: true,
            });
            expect(plan.resources.filter((r) => /^sentry-staging-ssh-\d+$/.test(r.name)).map((r) => r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6)).toEqual(cidrs);
        }
    });
});

describe("loader: repeated and contained CIDRs", () => {
    it("refuses a repeated web CIDR and one inside another, with key, value and fix", async () => {
        const message = await problems({ "sentry:webCidrs": ["203.0.113.0/24", "10.0.0.0/8", "203.0.113.0/24", "10.20.0.0/16"] });
        expect(message).toContain(
            'sentry:webCidrs = ["203.0.113.0/24","10.0.0.0/8","203.0.113.0/24","10.20.0.0/16"]: "203.0.113.0/24" repeats "203.0.113.0/24" (drop "203.0.113.0/24"); ' +
                '"10.20.0.0/16" lies inside "10.0.0.0/8" (drop "10.20.0.0/16"): each entry becomes its own security-group rule, and AWS refuses a rule that repeats another ' +
                "(InvalidPermission.Duplicate) at `pulumi up`. Fix: list the networks your users and applications send from",
        );
    });

    it("compares SSH CIDRs after normalising, and lists every problem at once", async () => {
        const message = await problems({ "sentry:adminSshCidrs": ["2001:DB8:1::/48", "2001:db8:1:0::/48"], "sentry:webCidrs": ["198.51.100.0/24", "198.51.100.128/25"] });
        expect(message).toContain('sentry:adminSshCidrs = ["2001:DB8:1::/48","2001:db8:1:0::/48"]: "2001:db8:1:0::/48" repeats "2001:DB8:1::/48"');
        expect(message).toContain('sentry:webCidrs = ["198.51.100.0/24","198.51.100.128/25"]: "198.51.100.128/25" lies inside "198.51.100.0/24"');
    });
});
