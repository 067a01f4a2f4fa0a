// Self-hosted's upgrade rules. Hard stops are releases an upgrade must land on before
// going further (their migrations are squashed afterwards); the known-bad ones ship
// migration-history errors. Source: self-hosted's releases page and BRIEF.md section 2.
// The host-side check in scripts/checkout-self-hosted.sh carries the same lists; a test
// keeps the two in step.

export const HARD_STOPS: readonly string[] = ["23.6.2", "23.11.0", "24.8.0", "25.5.1", "26.5.0", "26.5.1", "26.7.0"];
export const KNOWN_BAD_VERSIONS: readonly string[] = ["25.12.0", "26.3.0", "26.4.0"];

export function compareVersions(a: string, b: string): number {
    const pa = a.split(".").map(Number);
    const pb = b.split(".").map(Number);
    for (let i = 0; i < 3; i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d !== 0) {
            return d;
        }
    }
    return 0;
}

/** A target that must never be deployed, whatever is installed. */
export function versionPolicyProblem(target: string): string | undefined {
    if (KNOWN_BAD_VERSIONS.includes(target)) {
        return `${target} is a known-bad self-hosted release (migration-history errors); use the release after it`;
    }
    return undefined;
}

/**
 * Why going from `installed` to `target` is refused, naming the path to take,
 * or undefined when the upgrade (or no-op) is allowed.
 */
export function upgradePathProblem(installed: string, target: string): string | undefined {
    const bad = versionPolicyProblem(target);
    if (bad) {
        return bad;
    }
    const order = compareVersions(target, installed);
    if (order === 0) {
        return undefined;
    }
    if (order < 0) {
        return `downgrading self-hosted from ${installed} to ${target} is not supported (database migrations only go forward); restore a snapshot of the data volume taken before the upgrade instead`;
    }
    const skipped = HARD_STOPS.filter((s) => compareVersions(s, installed) > 0 && compareVersions(s, target) < 0);
    if (skipped.length > 0) {
        const path = [installed, ...skipped, target].join(" -> ");
        return `upgrading self-hosted from ${installed} to ${target} skips the hard stop${skipped.length > 1 ? "s" : ""} ${skipped.join(", ")}; upgrade one step at a time: ${path} (set sentry:sentryVersion to ${skipped[0]}, pulumi up, and continue)`;
    }
    return undefined;
}

/**
 * The registries each release's checkout pulls images from: its .env's *_IMAGE variables, the
 * images docker-compose.yml names and its build bases (what configure-sentry.sh mirrors), read
 * from upstream's tree. The images install.sh uses without compose (busybox, debian, geoipupdate)
 * come from registries in the same list. A script test runs configure-sentry.sh on the real trees
 * and keeps this table in step. A release not listed here is checked on the host only, where
 * configure-sentry.sh names every registry without a mirror.
 */
export const RELEASE_REGISTRIES: Readonly<Record<string, readonly string[]>> = {
    "26.7.2": ["docker.io", "ghcr.io", "registry.gitlab.com"],
    "26.8.0": ["docker.io", "ghcr.io", "registry.gitlab.com"],
};

