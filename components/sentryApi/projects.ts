// SentryProjects: the organization's teams, projects and DSN keys (with their rate limits)
// through Sentry's own API, with @pulumiverse/sentry (the maintained Pulumi provider for it,
// a bridge of the jianyuan/sentry Terraform provider).
//
// The provider is an EXPLICIT instance given to every resource here, with its token and base
// URL passed as arguments. The package's default provider would read `sentry:token` and
// `sentry:baseUrl` from the stack's configuration, which is this program's own namespace
// (PROJECT = "sentry"): the loader refuses those keys with a message saying so (config.ts),
// and no resource here ever falls back to the default provider (test/unit/projects.test.ts).
// Created only when the stack declares projects: without them there is no provider, no token
// step and nothing that needs a token.
import * as pulumi from "@pulumi/pulumi";
import * as sentry from "@pulumiverse/sentry";
import { ResolvedProject, slugProblem, platformProblem, teamsOf, WINDOW_SECONDS } from "./limits";

export interface SentryProjectsArgs {
    /** Sentry's origin as users reach it (system.url-prefix), resolved only once Sentry is healthy. */
    url: pulumi.Input<string>;
    /** An API token of a superuser with the scopes in API_TOKEN_SCOPES (a secret). */
    token: pulumi.Input<string>;
    /** The organization's slug; self-hosted's installer creates `sentry`. */
    organization: string;
    projects: ResolvedProject[];
    /** What must exist before the first API call (the token step, which runs after the health check). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * What the provider does with the token, and so the scopes it gets (Sentry's endpoints:
 * OrganizationTeamsPermission, TeamProjectPermission, ProjectKeyPermission): read the
 * organization, create/update/delete teams, projects and their keys. No org:write, member:*,
 * event:* or alerts:*.
 */
export const API_TOKEN_SCOPES = ["org:read", "team:read", "team:write", "team:admin", "project:read", "project:write", "project:admin"] as const;

/** The name the key this program manages carries in Sentry's UI (beside Sentry's own "Default" key). */
export const MANAGED_KEY_NAME = "pulumi";

function validate(args: SentryProjectsArgs): string[] {
    const problems: string[] = [];
    const org = slugProblem(args.organization);
    if (org) {
        problems.push(`organization "${args.organization}" ${org}`);
    }
    if (args.projects.length === 0) {
        problems.push("no projects: create SentryProjects only when the stack declares some (it needs an API token)");
    }
    for (const p of args.projects) {
        for (const [what, v, problem] of [
            ["project", p.name, slugProblem(p.name)],
            ["team", p.team, slugProblem(p.team)],
            ["platform", p.platform, platformProblem(p.platform)],
        ] as const) {
            if (problem) {
                problems.push(`${what} "${v}" ${problem}`);
            }
        }
        if (!Number.isInteger(p.rateLimit.count) || p.rateLimit.count < 1) {
            problems.push(`project "${p.name}": rateLimit.count ${p.rateLimit.count} must be a whole number >= 1`);
        }
    }
    return problems;
}

export class SentryProjects extends pulumi.ComponentResource {
    readonly provider: sentry.Provider;
    readonly teams: Record<string, sentry.SentryTeam>;
    readonly projects: Record<string, sentry.SentryProject>;
    readonly keys: Record<string, sentry.SentryKey>;
    /** Project name -> its managed key's DSN, as a secret map. */
    readonly dsns: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: SentryProjectsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("sentry:api:SentryProjects", name, {}, opts);
        const problems = validate(args);
        if (problems.length > 0) {
            throw new pulumi.ResourceError(`SentryProjects ${name}: ${problems.join("; ")}`, this);
        }
        const org = args.organization;
        this.provider = new sentry.Provider(
            `${name}-provider`,
            { baseUrl: pulumi.interpolate`${args.url}/api/`, token: pulumi.secret(args.token) },
            { parent: this, dependsOn: args.dependsOn },
        );
        const use = { parent: this, provider: this.provider };

        this.teams = {};
        for (const team of teamsOf(args.projects)) {
            this.teams[team] = new sentry.SentryTeam(`${name}-team-${team}`, { organization: org, name: team, slug: team }, use);
        }
        this.projects = {};
        this.keys = {};
        for (const p of args.projects) {
            const project = new sentry.SentryProject(
                `${name}-project-${p.name}`,
                { organization: org, name: p.name, slug: p.name, platform: p.platform, teams: [this.teams[p.team].slug] },
                use,
            );
            this.projects[p.name] = project;
            this.keys[p.name] = new sentry.SentryKey(
                `${name}-key-${p.name}`,
                {
                    organization: org,
                    project: project.slug,
                    name: MANAGED_KEY_NAME,
                    rateLimitCount: p.rateLimit.count,
                    rateLimitWindow: WINDOW_SECONDS[p.rateLimit.window],
                },
                // The DSNs go to applications through this stack's secret outputs only; keep
                // them out of plaintext state as well.
                { ...use, additionalSecretOutputs: ["dsnPublic", "dsnCsp", "public"] },
            );
        }
        const names = Object.keys(this.keys);
        this.dsns = pulumi.secret(pulumi.all(names.map((n) => this.keys[n].dsnPublic)).apply((dsns) => Object.fromEntries(names.map((n, i) => [n, dsns[i]]))));
        this.registerOutputs({ dsns: this.dsns });
    }
}
