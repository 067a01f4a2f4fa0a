// What a secret's value reaches: which resources a new value of one secret setting updates or
// replaces on deploy. Offline no secret can be decrypted, so every plan reads each secret as
// the same [secret], and a changed secret changes nothing there. The program itself answers
// instead, with no hand-kept table: it is evaluated once with every secret as
// SECRET_PLACEHOLDER and once more per secret with only that one as SECRET_OTHER_VALUE, both
// with secrets revealed (to this process only), and the two plans are compared by diffPlans.
// The inputs that differ are where the value goes (a step's stdin, a trigger made of its
// digest, the SSH connection of every step); what they make the engine do (update, replace)
// is what diffPlans says of any changed input. Only input paths leave this module, never a
// value.
import type { PlanOptions } from "./planner";
import { diffPlans, SecretEffect, SecretReach } from "./review";

/** "stdin.[secret]" -> "stdin": the path of a revealed secret input without its wrapper. */
function inputPath(path: string): string {
    return path.replace(/\.\[secret\]/g, "");
}

/**
 * The reach of each of `keys` ("sentry:smtpPassword") in the plan of `stack` with `options`
 * (the same options as the plan under review). A key whose evaluation fails gets its error.
 */
export async function secretReach(stack: string, options: PlanOptions, keys: readonly string[]): Promise<Record<string, SecretReach>> {
    const { planStack, SECRET_OTHER_VALUE } = await import("./planner");
    const out: Record<string, SecretReach> = {};
    if (keys.length === 0) {
        return out;
    }
    const firstLine = (err: unknown) => (err instanceof Error ? err.message.split("\n")[0] : String(err));
    let baseline: Awaited<ReturnType<typeof planStack>>;
    try {
        baseline = await planStack(stack, { ...options, revealSecrets: true });
    } catch (err) {
        return Object.fromEntries(keys.map((k) => [k, { error: firstLine(err) }]));
    }
    for (const key of keys) {
        try {
            const other = await planStack(stack, { ...options, revealSecrets: true, secrets: { ...(options.secrets ?? {}), [key]: SECRET_OTHER_VALUE } });
            const d = diffPlans(baseline, other);
            const steps = new Map(d.steps.map((s) => [s.resource, s]));
            out[key] = {
                effects: d.resources.map((r): SecretEffect => {
                    const step = steps.get(r.name);
                    return {
                        resource: r.name,
                        type: r.type,
                        kind: r.kind,
                        inputs: [...new Set(r.changes.map((c) => inputPath(c.path)))],
                        ...(step?.step ? { step: step.step } : {}),
                        ...(step && step.order > 0 ? { order: step.order } : {}),
                    };
                }),
            };
        } catch (err) {
            // The message of a failed evaluation names settings, never a secret's value.
            out[key] = { error: firstLine(err) };
        }
    }
    return out;
}
