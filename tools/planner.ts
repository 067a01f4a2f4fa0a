// The offline plan: evaluates the real program for a stack's configuration under Pulumi
// mocks (no AWS credentials, no Pulumi CLI) and records every resource it would register.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../components/tags";
import { parseConfig, pulumiConfigSource } from "../config";
import { createSentryStack, StackOutputs } from "../program";
import { AwsMocks, MockOptions } from "./mocks";
import { engineConfig, readStackFile, secretFingerprints, stackFilePath } from "./stackFile";

export interface PlanResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    dependsOn: string[];
    parent?: string;
    /** Inputs a later update leaves alone (the resource option); only present when set. */
    ignoreChanges?: string[];
    /** An explicit provider's name (resources on a default provider have none). */
    provider?: string;
    /** additionalSecretOutputs, when the resource asks for any. */
    secretOutputs?: string[];
}

export interface Plan {
    stack: string;
    resources: PlanResource[];
    outputs: Record<string, unknown>;
    /**
     * Values the mocks made up that exist only at deploy time (ids, addresses, ARNs, generated
     * names, looked-up AMIs), each with what it stands for ("publicIp of sentry-prod-eip").
     */
    placeholders?: Record<string, string>;
    /** The AWS region the stack deploys to (aws:region). */
    region?: string;
    /**
     * The stack file's secret settings: key -> a fingerprint of its encrypted value
     * (stackFile.ts secretFingerprints), never the ciphertext or a plaintext. Absent in plans
     * saved before plans carried it.
     */
    secrets?: Record<string, string>;
}

export interface PlanOptions {
    /** Config values ("sentry:profile" -> value) used instead of reading Pulumi.<stack>.yaml. */
    config?: Record<string, unknown>;
    /** Added on top of the stack file's (or `config`'s) values. */
    overrides?: Record<string, unknown>;
    /**
     * Secret values by key ("sentry:adminPassword" -> value), as if the stack file held them
     * encrypted (`secure:`) and the plan could decrypt them: for tests, and for the review's
     * secret reach (tools/secretReach.ts), which sets one secret to SECRET_OTHER_VALUE. A
     * secret written in plain text in `config` is refused, as in a real stack file. These
     * values get no fingerprint (plan.secrets): only a stack file's ciphertext does.
     */
    secrets?: Record<string, string>;
    /**
     * Accept the committed template's placeholders (documentation addresses and domains):
     * `npm run plan -- --allow-placeholders`, which only the repository's own checks of
     * Pulumi.staging.yaml and Pulumi.prod.yaml pass. A fork's real stack must not.
     */
    allowPlaceholders?: boolean;
    /**
     * Tests only: show each secret as {"[secret]": value} instead of the bare placeholder,
     * so a test can check both that a value is secret and what it holds.
     */
    revealSecrets?: boolean;
    /** Tune what the mock AWS answers (previous outputs, extra instance types). */
    mocks?: Omit<MockOptions, "region">;
}

export const SECRET_PLACEHOLDER = "[secret]";
/**
 * A second stand-in for a secret the plan cannot decrypt: evaluating the program once with a
 * secret as SECRET_PLACEHOLDER and once as this shows what that secret's value feeds.
 */
export const SECRET_OTHER_VALUE = "[secret: another value]";
const PROJECT_DIR = path.resolve(__dirname, "..");
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Reads Pulumi.<stack>.yaml's `config:` map. */
export function readStackConfig(stack: string, projectDir = PROJECT_DIR): Record<string, unknown> {
    const file = readStackFile(projectDir, stack);
    if (!file) {
        throw new Error(`no stack file ${stackFilePath(projectDir, stack)}: create it with \`pulumi stack init ${stack}\` and set its config`);
    }
    return { ...(file.config ?? {}) };
}

/** Replaces every secret (as the mock monitor sees it) with the placeholder. */
export function redactSecrets(value: unknown, reveal = false): unknown {
    if (Array.isArray(value)) {
        return value.map((v) => redactSecrets(v, reveal));
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[SECRET_SIG_KEY] === SECRET_SIG) {
            return reveal ? { [SECRET_PLACEHOLDER]: redactSecrets(obj.value, reveal) } : SECRET_PLACEHOLDER;
        }
        return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, redactSecrets(obj[k], reveal)]));
    }
    return value;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
    getIgnorechangesList?(): string[];
    getProvider(): string;
    getAdditionalsecretoutputsList(): string[];
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}

type RegisterFn = (req: RegisterRequest, cb: (err: unknown, res?: unknown) => void) => void;

let queue: Promise<unknown> = Promise.resolve();

/** Evaluates the program for `stack`. Runs one plan at a time: Pulumi's runtime is global. */
export function planStack(stack: string, options: PlanOptions = {}): Promise<Plan> {
    const run = queue.then(() => planStackNow(stack, options));
    queue = run.catch(() => undefined);
    return run;
}

async function planStackNow(stack: string, options: PlanOptions): Promise<Plan> {
    const stackConfig = { ...(options.config ?? readStackConfig(stack)), ...(options.overrides ?? {}) };
    const { values, secretKeys } = engineConfig(stackConfig, SECRET_PLACEHOLDER);
    for (const [k, v] of Object.entries(options.secrets ?? {})) {
        values[k] = v;
        secretKeys.push(k);
    }
    const region = values["aws:region"] ?? "eu-central-1";

    const mocks = new AwsMocks({ region, domain: values["sentry:domain"], ...options.mocks });
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, false, "organization");
    pulumi.runtime.setAllConfig(values, secretKeys);

    const captured: { urn: string; req: RegisterRequest }[] = [];
    const monitor = (pulumi.runtime as unknown as { getMonitor(): { registerResource: RegisterFn } }).getMonitor();
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, cb) => {
        original(req, (err, res) => {
            if (!err && res) {
                captured.push({ urn: (res as { getUrn(): string }).getUrn(), req });
            }
            cb(err, res);
        });
    };

    const failures: unknown[] = [];
    let signalFailure: () => void = () => undefined;
    const failed = new Promise<void>((resolve) => (signalFailure = resolve));
    // A failed apply (sizing, upgrade path) rejects a registration; resources depending on it
    // then wait forever, so the first failure ends the evaluation.
    const onRejection = (reason: unknown) => {
        failures.push(reason);
        signalFailure();
    };
    process.on("unhandledRejection", onRejection);
    let outputs: Record<string, unknown> = {};
    try {
        // The loader reads the config exactly as in the engine (every key set, which are
        // secret). A required secret the stack file does not hold is assumed set, as it must
        // be before a real `pulumi up`.
        const config = parseConfig(pulumiConfigSource(), stack, PROJECT, {
            allowPlaceholders: options.allowPlaceholders,
            assumedSecret: SECRET_PLACEHOLDER,
            opaqueSecrets: [SECRET_PLACEHOLDER, SECRET_OTHER_VALUE],
        });
        let result: StackOutputs;
        try {
            result = createSentryStack(config);
        } catch (err) {
            // Let what the program already started settle before the next evaluation
            // replaces the mocks, so its stragglers cannot land in that one.
            await Promise.race([waitForRpcs(), failed, new Promise((r) => setTimeout(r, 200))]);
            forgetPendingPromises();
            throw err;
        }
        await Promise.race([waitForRpcs(), failed]);
        // Give rejected applies a turn to surface.
        await new Promise((r) => setImmediate(r));
        if (failures.length === 0) {
            outputs = await resolveOutputs({ ...result }, options.revealSecrets);
        }
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (failures.length > 0) {
        forgetPendingPromises();
        throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]));
    }

    const nameOf = new Map(captured.map((c) => [c.urn, c.req.getName()]));
    const resources = captured.map(({ req }) => ({
        type: req.getType(),
        name: req.getName(),
        inputs: redactSecrets(req.getObject()?.toJavaScript() ?? {}, options.revealSecrets) as Record<string, unknown>,
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        dependsOn: [...new Set(req.getDependenciesList().map((u) => nameOf.get(u) ?? u))].sort(),
        ...(req.getParent() ? { parent: nameOf.get(req.getParent()) ?? req.getParent() } : {}),
        ...((req.getIgnorechangesList?.() ?? []).length > 0 ? { ignoreChanges: [...(req.getIgnorechangesList?.() ?? [])] } : {}),
        ...explicitProvider(req.getProvider(), nameOf),
        ...(req.getAdditionalsecretoutputsList().length > 0 ? { secretOutputs: [...req.getAdditionalsecretoutputsList()].sort() } : {}),
    }));
    resources.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type.localeCompare(b.type)));
    return { stack, resources, outputs, placeholders: { ...mocks.placeholders }, region, secrets: secretFingerprints(stackConfig) };
}

/** The name of an explicit provider from a provider reference ("<urn>::<id>"); none for a default provider. */
function explicitProvider(ref: string, nameOf: Map<string, string>): { provider?: string } {
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const name = nameOf.get(urn) ?? urn.slice(urn.lastIndexOf("::") + 2);
    return ref === "" || name.startsWith("default") ? {} : { provider: name };
}

async function resolveOutputs(result: Record<string, unknown>, reveal = false): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(result)) {
        if (v === undefined) {
            continue;
        }
        if (pulumi.Output.isInstance(v)) {
            // promise() rejects when the program failed (a sizing or upgrade-path error inside an apply).
            const value = await (v as unknown as { promise(): Promise<unknown> }).promise();
            out[k] = (await pulumi.isSecret(v)) ? (reveal ? { [SECRET_PLACEHOLDER]: value } : SECRET_PLACEHOLDER) : value;
        } else {
            out[k] = v;
        }
    }
    return out;
}

/**
 * The resources that waited on a failed one are expected leftovers of a failed evaluation;
 * forget them so Pulumi's exit-time leak check does not fail the process.
 */
function forgetPendingPromises(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("@pulumi/pulumi/runtime/debuggable") as { leakedPromises(): unknown }).leakedPromises();
}

async function waitForRpcs(): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
}
