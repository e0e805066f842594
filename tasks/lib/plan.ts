/**
 * Plans and their execution for the deployment tasks. A planner is a pure function from
 * what was observed (facts) to a list of steps, so it can be unit-tested and shown with
 * `--dry-run`; {@linkcode runPlan} executes the steps in order and stops at the first
 * failure with a message naming the step.
 */
import $ from "dax";

/** One command of a plan. */
export interface Step {
  /** What the step does, shown as a progress line. */
  title: string;
  /** The program and its arguments (never a shell string: nothing is re-parsed). */
  command: string[];
  /** Extra environment variables (values are never printed). */
  env?: Record<string, string>;
  /** Text sent to the command's standard input (e.g. a generated manifest). */
  stdin?: string;
  /** The step's output goes to the user's terminal (logs, status tables). */
  interactive?: boolean;
}

/** Thrown when a step fails; the message names the step and its exit code. */
export class StepFailedError extends Error {
  readonly step: Step;
  readonly code: number;
  constructor(step: Step, code: number, detail: string) {
    super(
      `Step failed: ${step.title} (${step.command[0]} exited with ${code})${
        detail ? `\n${detail}` : ""
      }`,
    );
    this.name = "StepFailedError";
    this.step = step;
    this.code = code;
  }
}

/** Formats a plan as numbered lines of shell-quoted commands (for `--dry-run`). */
export function formatPlan(plan: readonly Step[]): string {
  return plan.map((step, i) =>
    `${i + 1}. ${step.title}\n   $ ${step.command.map(quote).join(" ")}${
      step.stdin ? " <<generated input>>" : ""
    }`
  ).join("\n");
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Options of {@linkcode runPlan}. */
export interface RunOptions {
  dryRun?: boolean;
  /** Where progress lines go (stderr by default). */
  progress?: (line: string) => void;
}

/** Runs `plan` step by step, printing `[i/n] title` before and the time taken after each. */
export async function runPlan(plan: readonly Step[], options: RunOptions = {}): Promise<void> {
  const progress = options.progress ?? ((line: string) => console.error(line));
  if (options.dryRun) {
    console.log(formatPlan(plan));
    return;
  }
  for (const [i, step] of plan.entries()) {
    progress(`[${i + 1}/${plan.length}] ${step.title}`);
    const started = performance.now();
    let builder = $`${step.command}`.noThrow().env(step.env ?? {});
    if (step.stdin !== undefined) builder = builder.stdinText(step.stdin);
    if (!step.interactive) builder = builder.stdout("piped").stderr("piped");
    const result = await builder;
    if (result.code !== 0) {
      const detail = step.interactive
        ? ""
        : (result.stderr || result.stdout).trim().split("\n").slice(-15).join("\n");
      throw new StepFailedError(step, result.code, detail);
    }
    progress(`      done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
}

/** Runs a command for a fact (e.g. "does the cluster exist?"): its exit code and stdout. */
export async function probe(command: string[]): Promise<{ code: number; stdout: string }> {
  const result = await $`${command}`.noThrow().stdout("piped").stderr("piped");
  return { code: result.code, stdout: result.stdout };
}
