// npm run plan -- --stack <name> [options]   (USAGE below lists them)
// Prints what `pulumi up` would create for a stack, evaluated offline under mocks: for
// reviewers without cloud credentials (a fork's pull request, a laptop) and for checks.
import * as fs from "fs";
import * as path from "path";
import { parseArgs, ParseArgsConfig } from "util";
import { KNOWN_INSTANCE_TYPES } from "../components/sizing";
import type { Plan, PlanOptions } from "./planner";
import { readStackFileAt, stackFilePath } from "./stackFile";
import { loadBase } from "./basePlan";
import { CostChange, costChange, CostEstimate, estimateCost, renderCost, renderCostChange } from "./cost";
import { addSecretReach, diffPlans, labeller, PlanDiff, renderDiff, renderReview, Review, reviewOf } from "./review";

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The command line: one entry per flag, parsed by util.parseArgs and documented in USAGE. */
const OPTIONS = {
    stack: { type: "string", short: "s" },
    "stack-file": { type: "string" },
    json: { type: "boolean" },
    out: { type: "string" },
    "check-policies": { type: "boolean" },
    "allow-placeholders": { type: "boolean" },
    base: { type: "string" },
    cost: { type: "boolean" },
    brief: { type: "boolean" },
    help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

const HELP: Record<keyof typeof OPTIONS, [value: string, text: string]> = {
    stack: ["<name>", "the stack to plan, from Pulumi.<name>.yaml (required)"],
    "stack-file": ["<file>", "read the stack's config from this file instead, e.g. one proposed in a pull request"],
    json: ["", "print the plan as JSON: {stack, region, resources: [{type, name, inputs, protect, retainOnDelete, dependsOn}], creationOrder, placeholders, securityGroups, iamRoles, steps, secrets, notes} (+ cost, diff, costChange); secrets: each secret setting's fingerprint (of its ciphertext)"],
    out: ["<file>", "write the plan to <file> instead of standard output"],
    "check-policies": ["", "check the policy pack's rules; exit 1 on a mandatory violation"],
    "allow-placeholders": ["", "accept the committed stack files' documentation-range placeholders (198.51.100.0/24, example.com)"],
    base: ["<plan.json|ref>", "show the difference against a saved --json plan, or the same stack at a git ref (e.g. origin/main)"],
    cost: ["", "estimate the monthly cost per resource and in total (with --base: the change); tools/prices.ts"],
    brief: ["", "leave out the full text of the host scripts (the plain plan prints them)"],
    help: ["", "print this help"],
};

const SYNOPSIS = "usage: npm run -s plan -- --stack <name> [--stack-file <file>] [--base <plan.json|ref>] [--cost] [--json] [--out <file>] [--brief] [--check-policies] [--allow-placeholders]";

const USAGE = [
    SYNOPSIS,
    "",
    ...Object.entries(HELP).map(([flag, [value, text]]) => {
        const short = (OPTIONS[flag as keyof typeof OPTIONS] as { short?: string }).short;
        return `  ${`${short ? `-${short}, ` : "    "}--${flag}${value ? ` ${value}` : ""}`.padEnd(28)} ${text}`;
    }),
    "",
    "Use npm run -s (silent), or --out, when you need the JSON alone: plain `npm run` prints its own header first.",
    "Exit status: 0 planned, 1 the plan or a mandatory policy failed, 2 a usage error.",
].join("\n");

/** A mistake on the command line: reported with the usage, without a stack trace. */
class UsageError extends Error {}

interface Args {
    stack: string;
    stackFile?: string;
    json: boolean;
    out?: string;
    checkPolicies: boolean;
    allowPlaceholders: boolean;
    base?: string;
    cost: boolean;
    brief: boolean;
    help: boolean;
}

function readArgs(argv: string[]): Args {
    let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: false }>>["values"];
    try {
        values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
    } catch (err) {
        // util.parseArgs's own errors (unknown option, missing value, stray argument) carry an ERR_PARSE_ARGS_* code.
        if (err instanceof Error && String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_")) {
            throw new UsageError(err.message);
        }
        throw err;
    }
    const args: Args = {
        stack: values.stack ?? "",
        stackFile: values["stack-file"],
        json: values.json === true,
        out: values.out,
        checkPolicies: values["check-policies"] === true,
        allowPlaceholders: values["allow-placeholders"] === true,
        base: values.base,
        cost: values.cost === true,
        brief: values.brief === true,
        help: values.help === true,
    };
    if (args.help) {
        return args;
    }
    if (!args.stack) {
        throw new UsageError("missing --stack <name>");
    }
    if (args.stackFile !== undefined && !fs.existsSync(args.stackFile)) {
        throw new UsageError(`--stack-file ${args.stackFile}: no such file`);
    }
    if (args.stackFile === undefined && !fs.existsSync(stackFilePath(PROJECT_DIR, args.stack))) {
        const known = fs
            .readdirSync(PROJECT_DIR)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined);
        throw new UsageError(`unknown stack "${args.stack}": there is no Pulumi.${args.stack}.yaml (stacks here: ${known.join(", ") || "none"}); pass --stack-file <file> to plan another file`);
    }
    return args;
}

/** What the offline plan could not know and assumed: said in every output format. */
async function notesOf(plan: Plan): Promise<string[]> {
    const { offlineInstanceType } = await import("./mocks");
    const notes: string[] = [];
    for (const r of plan.resources) {
        const type = r.type === "aws:ec2/instance:Instance" ? r.inputs.instanceType : undefined;
        if (typeof type === "string" && !KNOWN_INSTANCE_TYPES[type]) {
            const { facts } = offlineInstanceType(type);
            notes.push(
                `${r.name}: instance type ${type} is not in the offline catalogue (KNOWN_INSTANCE_TYPES in components/sizing.ts); ` +
                    `the plan used a placeholder size and the ${facts.architecture} image its name implies. ` +
                    `AWS checks the real size against the Sentry profile at \`pulumi preview\`.`,
            );
        }
    }
    return notes;
}

interface Extras {
    review: Review;
    cost?: CostEstimate;
    diff?: PlanDiff;
    baseName?: string;
    costChange?: CostChange;
}

function humanText(plan: Plan, notes: readonly string[], x: Extras, brief: boolean): string {
    const lines: string[] = [];
    if (x.diff) {
        lines.push(renderDiff(x.diff, { baseName: x.baseName }));
        if (x.costChange) {
            lines.push(renderCostChange(x.costChange));
        }
    } else {
        const onAws = plan.resources.some((r) => r.type.startsWith("aws:"));
        lines.push(`Offline plan for stack ${plan.stack}${plan.region && onAws ? ` (${plan.region})` : ""}: ${x.review.resources.length} resources (evaluated under mocks, no cloud calls)`);
        lines.push("Values shown as <after-deploy: ...> exist only once AWS creates or looks them up; [secret] is a secret.", "");
        lines.push(renderReview(x.review, { scripts: !brief }));
        lines.push(...secretSettingLines(plan));
        if (x.cost) {
            lines.push(renderCost(x.cost));
        }
        lines.push("Outputs:");
        const label = labeller(plan.placeholders ?? {});
        for (const [k, v] of Object.entries(plan.outputs)) {
            const shown = label(v);
            lines.push(`  ${k}: ${typeof shown === "string" ? shown : JSON.stringify(shown)}`);
        }
        lines.push("");
    }
    if (notes.length > 0) {
        lines.push("Notes:", ...notes.map((n) => `  - ${n}`), "");
    }
    return lines.join("\n");
}

/** The stack file's secret settings, each with the fingerprint of its encrypted value (never the value). */
function secretSettingLines(plan: Plan): string[] {
    const secrets = Object.entries(plan.secrets ?? {});
    if (secrets.length === 0) {
        return [];
    }
    return [
        "Secret settings in the stack file (each [secret]; the fingerprint is of its encrypted value, so a diff can tell a re-encrypted one):",
        ...secrets.map(([k, f]) => `  ${k}: [secret]  (fingerprint ${f})`),
        "",
    ];
}

function jsonText(plan: Plan, notes: readonly string[], x: Extras): string {
    const { securityGroups, iamRoles, steps } = x.review;
    return (
        JSON.stringify(
            {
                stack: plan.stack,
                region: plan.region,
                resources: plan.resources.map(({ parent: _p, provider: _v, secretOutputs: _s, ...r }) => r),
                creationOrder: x.review.resources.map((r) => r.name),
                placeholders: plan.placeholders ?? {},
                securityGroups,
                iamRoles,
                steps,
                secrets: plan.secrets ?? {},
                ...(x.cost ? { cost: x.cost } : {}),
                ...(x.diff ? { base: x.baseName, diff: x.diff } : {}),
                ...(x.costChange ? { costChange: { before: x.costChange.before.knownTotal, after: x.costChange.after.knownTotal, delta: x.costChange.delta, currency: x.costChange.after.currency, lines: x.costChange.lines } } : {}),
                notes,
            },
            null,
            2,
        ) + "\n"
    );
}

async function main(argv: string[]): Promise<number> {
    let args: Args;
    try {
        args = readArgs(argv);
    } catch (err) {
        if (err instanceof UsageError) {
            console.error(`plan: ${err.message}\n${SYNOPSIS}\n(npm run plan -- --help describes every option)`);
            return 2;
        }
        throw err;
    }
    if (args.help) {
        console.log(USAGE);
        return 0;
    }

    let plan: Plan;
    let planOptions: PlanOptions = {};
    // The base is planned in a child process (a git ref) while this checkout's plan runs here.
    const basePromise = args.base === undefined ? undefined : loadBase(PROJECT_DIR, args.base, args.stack, { allowPlaceholders: args.allowPlaceholders });
    basePromise?.catch(() => undefined);
    try {
        const config = args.stackFile ? { config: { ...(readStackFileAt(args.stackFile).config ?? {}) } } : {};
        // Loaded only now: the Pulumi SDK takes a while, and usage errors should not wait for it.
        const { planStack } = await import("./planner");
        planOptions = { ...config, allowPlaceholders: args.allowPlaceholders };
        plan = await planStack(args.stack, planOptions);
    } catch (err) {
        console.error(`plan failed for stack ${args.stack}: ${err instanceof Error ? err.message : String(err)}`);
        await basePromise?.catch(() => undefined);
        return 1;
    }
    const notes = await notesOf(plan);
    const extras: Extras = { review: reviewOf(plan), ...(args.cost ? { cost: estimateCost(plan) } : {}) };
    if (basePromise) {
        try {
            const base = await basePromise;
            // A base planned before plans carried these: the same mocks made the same values.
            base.plan.region ??= plan.region;
            base.plan.placeholders = { ...(plan.placeholders ?? {}), ...(base.plan.placeholders ?? {}) };
            extras.diff = diffPlans(base.plan, plan);
            // A changed secret reads the same offline: what a new value would re-run is found
            // by evaluating this checkout again with only that secret different.
            const reached = extras.diff.secrets.filter((c) => c.kind !== "removed").map((c) => c.key);
            if (reached.length > 0) {
                const { secretReach } = await import("./secretReach");
                addSecretReach(extras.diff, await secretReach(args.stack, planOptions, reached));
            }
            extras.baseName = base.name;
            notes.push(...base.notes);
            if (args.cost) {
                extras.costChange = costChange(estimateCost(base.plan), extras.cost ?? estimateCost(plan));
            }
        } catch (err) {
            console.error(`plan failed for the base ${args.base}: ${err instanceof Error ? err.message : String(err)}`);
            return 1;
        }
    }
    const text = args.json ? jsonText(plan, notes, extras) : humanText(plan, notes, extras, args.brief);
    if (args.out) {
        fs.writeFileSync(args.out, text);
        console.error(`wrote the ${args.json ? "JSON " : ""}plan of stack ${plan.stack} to ${args.out}`);
    } else {
        process.stdout.write(text);
    }
    if (args.json || args.out) {
        // Standard output (or the file) holds the plan alone; people still read the notes.
        notes.forEach((n) => console.error(`note: ${n}`));
    }

    if (args.checkPolicies) {
        const { blockingViolations, checkPlan, formatViolations } = await import("../policy/rules");
        const violations = checkPlan(plan);
        const blocking = blockingViolations(violations);
        if (violations.length > 0) {
            console.error(`\nPolicy findings in stack ${plan.stack} (${blocking.length} mandatory, ${violations.length - blocking.length} advisory):`);
            console.error(formatViolations(violations));
        }
        if (blocking.length > 0) {
            return 1;
        }
        console.error(`\nPolicies: no mandatory violations in stack ${plan.stack}.`);
    }
    return 0;
}

// exitCode, not process.exit(): exiting at once cuts off a large --json plan written to a
// pipe (stdout to a pipe is flushed asynchronously).
main(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        // Not a user error: a bug, shown in full.
        console.error(err);
        process.exitCode = 1;
    },
);
