// What the policy pack lets each stack do that the baseline otherwise forbids. This file is
// the one place a stack "says" its web port may be public: a change here is a change to the
// guard rails, reviewed as such (put policy/ under CODEOWNERS), and it is deliberately NOT a
// stack config key, so that the same pull request that widens `sentry:webCidrs` cannot also
// approve it without touching the policy.
//
// The Pulumi engine can override these per run with `--policy-pack-config <file>`:
//   { "public-ingress-web-only": { "publicWebStacks": ["prod"], "webPorts": [9000, 80, 443] } }

export interface PolicySettings {
    /**
     * Stacks whose Sentry web port may be reachable from 0.0.0.0/0 or ::/0. Production
     * Sentry usually has to take events from browsers and mobile apps anywhere; staging and
     * trial Sentries serve dev/test apps from known networks.
     */
    publicWebStacks: string[];
    /**
     * Ports that count as Sentry's web port. 9000 is self-hosted's SENTRY_BIND default
     * (`sentry:webPort`); 80/443 cover a TLS proxy in front. If you change `sentry:webPort`,
     * add the new port here too.
     */
    webPorts: number[];
    /**
     * Production stacks allowed to run without HTTPS (sentry:tls none, with the loader's
     * sentry:allowPlainHttp). Empty: every production Sentry is reached over HTTPS.
     */
    plainHttpStacks: string[];
}

export const POLICY_SETTINGS: PolicySettings = {
    publicWebStacks: ["prod"],
    webPorts: [9000, 80, 443],
    plainHttpStacks: [],
};
