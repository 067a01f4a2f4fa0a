// Names and tags. Every child is named "<component name>-<part>" and the component name
// carries the stack ("sentry-staging"), so two stacks in one account never collide, and
// these names are a contract: renaming one replaces the resource.

/** The Pulumi project (Pulumi.yaml): its config keys are "sentry:<key>", its names "sentry-<stack>-<part>". */
export const PROJECT = "sentry";
/** The long-lived stacks. Other stacks declare their environment (sentry:environment). */
export const PRODUCTION_STACK = "prod";
export const STAGING_STACK = "staging";

export const ENVIRONMENTS = ["production", "staging", "trial"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * The one rule for a stack's environment, used by the config loader (its default and its
 * check) and by the policy pack (which judges a stack by the Environment tag it declares):
 * the stack `prod` is always production; any other stack is what its `sentry:environment`
 * says, staging when unset (a copy of staging under a new name stays staging; the trial
 * tool sets trial explicitly).
 */
export function defaultEnvironment(stack: string): Environment {
    return stack === PRODUCTION_STACK ? "production" : "staging";
}

/** Why `environment` cannot be the environment of `stack`, or undefined when it can. */
export function environmentProblem(stack: string, environment: string): string | undefined {
    if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
        return `must be one of ${ENVIRONMENTS.join(", ")}`;
    }
    if (stack === PRODUCTION_STACK && environment !== "production") {
        return `the stack "${PRODUCTION_STACK}" is always production (deletion protection, recovery alarms and the production policies depend on it)`;
    }
    return undefined;
}

export interface StackIdentity {
    project: string;
    stack: string;
    environment: Environment;
    /** Trial stacks only: when the reaper may destroy the stack (ISO 8601 UTC). */
    expiresAt?: string;
}

/** The tags every AWS resource carries (resourceTags); the policy pack requires them. */
export const STANDARD_TAG_KEYS = ["Name", "Project", "Stack", "Environment", "ManagedBy"] as const;

export function childName(component: string, part: string): string {
    return `${component}-${part}`;
}

export function resourceTags(identity: StackIdentity, name: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        Name: name,
        Project: identity.project,
        Stack: identity.stack,
        Environment: identity.environment,
        ManagedBy: "pulumi",
        ...(identity.expiresAt ? { ExpiresAt: identity.expiresAt } : {}),
        ...extra,
    };
}
