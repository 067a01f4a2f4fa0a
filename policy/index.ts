// The policy pack the Pulumi engine runs: `pulumi preview --policy-pack policy` (and `up`).
// The rules live in rules.ts and also run offline (`npm run plan -- --check-policies`).
import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, toPolicies } from "./pack";
import { RULES } from "./rules";

new PolicyPack(POLICY_PACK_NAME, {
    description: "Guard rails for self-hosted Sentry on AWS: security baseline, sizing, production protection, disposable trials.",
    enforcementLevel: "mandatory",
    policies: toPolicies(RULES),
});
