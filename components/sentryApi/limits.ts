// Pure facts about the projects a stack declares (sentry:projects) and their per-key rate
// limits: validation, the default limits, and DSN rewriting. No Pulumi resources here, so the
// loader, the component and the tests share one definition.
//
// Where a key's limit acts: Relay enforces a DSN key's `rateLimit` (count per window, set via
// `PUT /api/0/projects/{org}/{project}/keys/{key_id}/`, what @pulumiverse/sentry's SentryKey
// `rateLimitCount`/`rateLimitWindow` write) before the event reaches Kafka, and answers 429
// with Retry-After, which the SDKs honour. `system.rate-limit` (sentry:eventsPerMinuteLimit)
// is the same mechanism for the whole install. If the sum of the keys' limits stays within
// the install's capacity, the global limit never has to turn a quiet project's events away
// because a noisy one used the budget up: that is the rule the defaults below follow.

export type RateWindow = "minute" | "hour";
export const RATE_WINDOWS: readonly RateWindow[] = ["minute", "hour"];
/** What Sentry's key API takes: the window in seconds. */
export const WINDOW_SECONDS: Record<RateWindow, number> = { minute: 60, hour: 3600 };

export interface RateLimit {
    count: number;
    window: RateWindow;
}

/** A project as the stack file declares it. */
export interface ProjectSpec {
    /** The project's slug (and name). */
    name: string;
    /** The slug of the team that owns it; teams are created from these. */
    team: string;
    /** Sentry's platform id, e.g. `node`, `python-django`, `javascript-react`, `java-spring-boot`. */
    platform: string;
    /** The DSN key's limit; unset: a fair share of the install's capacity (see resolveRateLimits). */
    rateLimit?: RateLimit;
}

/** A project with the limit its key gets. */
export interface ResolvedProject extends Required<ProjectSpec> {
    /** True when the limit is the derived default, not the stack file's. */
    derived: boolean;
}

export interface ProjectProblem {
    /** A path below sentry:projects, e.g. `[1].rateLimit.count`. */
    path: string;
    value: unknown;
    why: string;
    fix: string;
}

/** Sentry's slugs: lowercase letters, digits, `-` and `_`, at most 50, not only digits. */
export function slugProblem(value: string): string | undefined {
    if (!/^[a-z0-9][a-z0-9_-]{0,49}$/.test(value)) {
        return "must be a Sentry slug: 1-50 lowercase letters, digits, - or _, starting with a letter or digit";
    }
    return /^\d+$/.test(value) ? "must not be only digits (Sentry refuses numeric slugs)" : undefined;
}

export function platformProblem(value: string): string | undefined {
    return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(value) ? undefined : "must be a Sentry platform id such as node, python-django, javascript-react or java-spring-boot";
}

/** A limit in events per minute (an hourly count spread over its 60 minutes). */
export function perMinute(limit: RateLimit): number {
    return limit.window === "minute" ? limit.count : limit.count / 60;
}

/**
 * Every project with its key's limit. An explicit limit is kept; the projects without one
 * share what the explicit ones leave of `capacityPerMinute` equally, so the sum of all keys'
 * limits never exceeds the capacity and no project can take another's share. Refused: a key
 * limit above the capacity (the global limit would reject first: the number means nothing),
 * explicit limits that add up to more than the capacity (one project can starve the others),
 * or that leave less than one event per minute for each project without a limit.
 */
export function resolveRateLimits(projects: readonly ProjectSpec[], capacityPerMinute: number, capacityText: string): { projects: ResolvedProject[]; problems: ProjectProblem[] } {
    const problems: ProjectProblem[] = [];
    const seen = new Map<string, number>();
    projects.forEach((p, i) => {
        const first = seen.get(p.name);
        if (first !== undefined) {
            problems.push({ path: `[${i}].name`, value: p.name, why: `is already the name of project [${first}]; project slugs are unique in an organization`, fix: "give each project its own name" });
        } else {
            seen.set(p.name, i);
        }
        if (p.rateLimit && perMinute(p.rateLimit) > capacityPerMinute) {
            problems.push({
                path: `[${i}].rateLimit.count`,
                value: p.rateLimit.count,
                why: `${p.rateLimit.count} per ${p.rateLimit.window} is more than ${capacityText} (${capacityPerMinute} per minute); the install-wide limit turns events away first, so this key limit protects nobody`,
                fix: `lower it to at most ${p.rateLimit.window === "minute" ? capacityPerMinute : capacityPerMinute * 60}, or raise sentry:eventsPerMinuteLimit`,
            });
        }
    });
    const explicit = projects.filter((p) => p.rateLimit !== undefined);
    const explicitSum = explicit.reduce((sum, p) => sum + perMinute(p.rateLimit as RateLimit), 0);
    const defaulted = projects.length - explicit.length;
    const left = capacityPerMinute - explicitSum;
    if (explicit.length > 0 && problems.length === 0) {
        if (defaulted === 0 && left < 0) {
            problems.push({
                path: "",
                value: `${Math.ceil(explicitSum)} per minute in all`,
                why: `the keys' limits add up to more than ${capacityText} (${capacityPerMinute} per minute): one project can use up the budget the others need`,
                fix: "lower the limits so that they add up to at most that, or raise sentry:eventsPerMinuteLimit",
            });
        } else if (defaulted > 0 && left / defaulted < 1) {
            problems.push({
                path: "",
                value: `${Math.ceil(explicitSum)} per minute in explicit limits`,
                why: `they leave less than one event per minute of ${capacityText} (${capacityPerMinute} per minute) for the ${defaulted} project(s) without a rateLimit`,
                fix: "lower the explicit limits, give every project a rateLimit, or raise sentry:eventsPerMinuteLimit",
            });
        }
    }
    const share = defaulted > 0 ? Math.max(1, Math.floor(left / defaulted)) : 0;
    return {
        projects: projects.map((p) => ({ ...p, rateLimit: p.rateLimit ?? { count: share, window: "minute" }, derived: p.rateLimit === undefined })),
        problems,
    };
}

/** The teams the projects name, each once, in the order they first appear. */
export function teamsOf(projects: readonly ProjectSpec[]): string[] {
    return [...new Set(projects.map((p) => p.team))];
}

/**
 * The same DSN pointed at another origin (an edge Relay): the key (user part) and the project
 * id (last path segment) stay; the scheme, host and port are the edge's, and any path prefix
 * of the upstream is dropped (Relay serves `/api/<project id>/envelope/` at its root).
 * `edgeOrigin` is e.g. `http://relay.internal:3000`.
 */
export function rewriteDsn(dsn: string, edgeOrigin: string): string {
    const d = new URL(dsn);
    const edge = new URL(edgeOrigin);
    const id = /\/(\d+)\/?$/.exec(d.pathname)?.[1];
    if (d.username === "" || id === undefined) {
        throw new Error(`not a Sentry DSN (https://<key>@<host>/<project id>): ${dsn.replace(/\/\/[^@]*@/, "//***@")}`);
    }
    return `${edge.protocol}//${d.username}@${edge.host}/${id}`;
}
