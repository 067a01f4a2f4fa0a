// Names and tags. Every child is named "<component name>-<part>" and the component name
// carries the stack ("sentry-staging"), so two stacks in one account never collide, and
// these names are a contract: renaming one replaces the resource.

/** The Pulumi project (Pulumi.yaml): its config keys are "sentry:<key>", its names "sentry-<stack>-<part>". */
export const PROJECT = "sentry";
/** The long-lived stacks. Every other stack is a trial. */
export const PRODUCTION_STACK = "prod";
export const STAGING_STACK = "staging";

export type Environment = "production" | "staging" | "trial";

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
