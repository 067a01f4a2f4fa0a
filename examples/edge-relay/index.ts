// Entry point of the standalone edge Relay project (examples/edge-relay/Pulumi.yaml).
import { createEdgeStack, readEdgeSettings } from "./program";

export = createEdgeStack(readEdgeSettings());
