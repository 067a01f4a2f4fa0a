// Helpers shared by the unit tests.
import { Plan, PlanResource } from "../../tools/planner";

/** The plan's resource with this name; throws when there is none. */
export function byName(plan: Plan, name: string): PlanResource {
    const r = plan.resources.find((x) => x.name === name);
    if (!r) {
        throw new Error(`no resource ${name} in plan for ${plan.stack}`);
    }
    return r;
}
