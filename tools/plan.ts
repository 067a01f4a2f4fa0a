// npm run plan -- --stack <name> [--stack-file <file>] [--json] [--check-policies]
// Prints what `pulumi up` would create for a stack, evaluated offline under mocks: for
// reviewers without cloud credentials (a fork's pull request, a laptop) and for checks.
import { parseStepEnv, shellQuote } from "../components/render";
import { Plan, PlanResource, planStack } from "./planner";
import { readStackFileAt } from "./stackFile";

interface Args {
    stack: string;
    /** Read the config from this file instead of Pulumi.<stack>.yaml. */
    stackFile?: string;
    json: boolean;
    checkPolicies: boolean;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { stack: "", json: false, checkPolicies: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--stack" || a === "-s") {
            args.stack = argv[++i] ?? "";
        } else if (a.startsWith("--stack=")) {
            args.stack = a.slice("--stack=".length);
        } else if (a === "--stack-file") {
            args.stackFile = argv[++i];
        } else if (a === "--json") {
            args.json = true;
        } else if (a === "--check-policies") {
            args.checkPolicies = true;
        } else {
            throw new Error(`unknown argument ${a}; usage: npm run plan -- --stack <name> [--stack-file <file>] [--json] [--check-policies]`);
        }
    }
    if (!args.stack) {
        throw new Error("missing --stack <name>; usage: npm run plan -- --stack staging [--json] [--check-policies]");
    }
    return args;
}

/** The settings a reviewer looks at first, per resource type. */
const KEY_SETTINGS: Record<string, string[]> = {
    "aws:ec2/instance:Instance": ["instanceType", "ami", "metadataOptions.httpTokens", "rootBlockDevice.encrypted", "rootBlockDevice.volumeSize", "disableApiTermination"],
    "aws:ebs/volume:Volume": ["size", "type", "iops", "throughput", "encrypted", "availabilityZone"],
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["cidrIpv4", "cidrIpv6", "fromPort", "description"],
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"],
    "aws:ec2/volumeAttachment:VolumeAttachment": ["deviceName"],
    "aws:cloudwatch/metricAlarm:MetricAlarm": ["metricName", "alarmActions"],
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": ["policyDetails.schedules"],
    "command:remote:Command": ["stdin"],
};

function pick(inputs: Record<string, unknown>, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined), inputs);
}

/** A step's script inputs, read back from the env file its command writes. */
function stepInputs(create: unknown): string[] {
    return Object.entries(parseStepEnv(String(create))).map(([k, v]) => `${k}=${shellQuote(v)}`);
}

function describe(r: PlanResource): string {
    const keys = KEY_SETTINGS[r.type] ?? [];
    const parts = keys
        .map((k) => [k, pick(r.inputs, k)] as const)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
    const flags = [r.protect ? "protected" : "", r.retainOnDelete ? "retained on delete" : ""].filter(Boolean);
    const script = r.type === "command:remote:Command" ? stepInputs(r.inputs.create) : [];
    return [...parts, ...script, ...flags].join("  ");
}

function printHuman(plan: Plan): void {
    console.log(`Offline plan for stack ${plan.stack}: ${plan.resources.length} resources (evaluated under mocks, no cloud calls)\n`);
    for (const r of plan.resources) {
        const details = describe(r);
        console.log(`+ ${r.type}  ${r.name}${details ? `\n    ${details}` : ""}`);
    }
    console.log("\nOutputs:");
    for (const [k, v] of Object.entries(plan.outputs)) {
        console.log(`  ${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    }
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    const plan = await planStack(args.stack, args.stackFile ? { config: { ...(readStackFileAt(args.stackFile).config ?? {}) } } : {});
    if (args.json) {
        console.log(JSON.stringify({ stack: plan.stack, resources: plan.resources.map(({ parent: _p, ...r }) => r) }, null, 2));
    } else {
        printHuman(plan);
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
main().then(
    (code) => {
        process.exitCode = code;
    },
    (err: unknown) => {
        console.error(`plan failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 1;
    },
);
