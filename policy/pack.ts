// Adapts the plain rules (rules.ts) to @pulumi/policy, so the engine and the offline check
// share one implementation. index.ts serves the result; tests call it directly.
import type {
    Policies,
    PolicyConfigSchema,
    PolicyResource as EnginePolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { PROJECT } from "../components/tags";
import { PolicyContext, PolicyResource, Rule, RULES } from "./rules";
import { POLICY_SETTINGS, PolicySettings } from "./settings";

export const POLICY_PACK_NAME = "sentry-aws";

/** Splits "urn:pulumi:<stack>::<project>::<type chain>::<name>". */
export function parseUrn(urn: string): { stack: string; project: string; type: string; name: string } {
    const parts = urn.split("::");
    if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) {
        throw new Error(`not a Pulumi URN: ${urn}`);
    }
    const chain = parts[2].split("$");
    return { stack: parts[0].slice("urn:pulumi:".length), project: parts[1], type: chain[chain.length - 1], name: parts.slice(3).join("::") };
}

/**
 * The settings a run uses: policy/settings.ts, overridden by `--policy-pack-config`. Only the
 * rules marked usesSettings (the web rule) declare a config schema, so other policies'
 * getConfig() return nothing useful.
 */
function settingsOf(args: ResourceValidationArgs | StackValidationArgs): PolicySettings {
    let config: Partial<PolicySettings> | undefined;
    try {
        config = args.getConfig<Partial<PolicySettings>>();
    } catch {
        config = undefined;
    }
    return {
        publicWebStacks: Array.isArray(config?.publicWebStacks) ? config.publicWebStacks : POLICY_SETTINGS.publicWebStacks,
        webPorts: Array.isArray(config?.webPorts) ? config.webPorts : POLICY_SETTINGS.webPorts,
        plainHttpStacks: Array.isArray(config?.plainHttpStacks) ? config.plainHttpStacks : POLICY_SETTINGS.plainHttpStacks,
    };
}

const SETTINGS_SCHEMA: PolicyConfigSchema = {
    properties: {
        publicWebStacks: { type: "array", items: { type: "string" }, default: POLICY_SETTINGS.publicWebStacks },
        webPorts: { type: "array", items: { type: "integer" }, default: POLICY_SETTINGS.webPorts },
        plainHttpStacks: { type: "array", items: { type: "string" }, default: POLICY_SETTINGS.plainHttpStacks },
    },
};

/**
 * The rules' view of an engine resource: the one a resource policy validates (its
 * ResourceValidationArgs) or one of a stack policy's resources.
 */
function fromEngine(r: Pick<EnginePolicyResource, "type" | "name" | "props" | "opts" | "urn">): PolicyResource {
    return {
        type: r.type,
        name: r.name,
        inputs: r.props,
        protect: r.opts?.protect === true,
        // The analyzer protocol does not carry retainOnDelete: unknown here, checked offline.
        retainOnDelete: undefined,
        urn: r.urn,
    };
}

function contextFor(urn: string | undefined, resources: readonly PolicyResource[], settings: PolicySettings): PolicyContext {
    const parsed = urn ? parseUrn(urn) : undefined;
    return { stack: parsed?.stack ?? "", project: parsed?.project ?? PROJECT, resources, settings };
}

function common(rule: Rule) {
    return {
        name: rule.name,
        description: rule.description,
        enforcementLevel: rule.enforcementLevel,
        remediationSteps: rule.remediation,
        tags: rule.controls.length > 0 ? rule.controls : undefined,
        ...(rule.usesSettings ? { configSchema: SETTINGS_SCHEMA } : {}),
    };
}

function toResourcePolicy(rule: Rule): ResourceValidationPolicy {
    return {
        ...common(rule),
        validateResource: (args: ResourceValidationArgs, report: ReportViolation) => {
            const resource = fromEngine(args);
            for (const message of rule.check(resource, contextFor(args.urn, [resource], settingsOf(args)))) {
                report(message);
            }
        },
    };
}

function toStackPolicy(rule: Rule): StackValidationPolicy {
    return {
        ...common(rule),
        validateStack: (args: StackValidationArgs, report: ReportViolation) => {
            const resources = args.resources.map(fromEngine);
            const first = resources.find((r) => r.urn)?.urn;
            const context = contextFor(first, resources, settingsOf(args));
            for (const resource of resources) {
                for (const message of rule.check(resource, context)) {
                    report(`${resource.name}: ${message}`, resource.urn);
                }
            }
        },
    };
}

/** The rules as @pulumi/policy policies: resource rules validate each resource, stack rules the whole stack. */
export function toPolicies(rules: readonly Rule[] = RULES): Policies {
    return rules.map((rule) => (rule.scope === "stack" ? toStackPolicy(rule) : toResourcePolicy(rule)));
}
