import { DockerfileParser } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

/** DiagnosticSeverity.Error in the Language Server Protocol, whose types the validator answers in. */
const ERROR = 1;

/**
 * What is wrong with a Dockerfile: the syntax errors the Dockerfile language server's validator
 * finds, and what this project asks of its image (a multi-stage build whose final stage installs
 * production dependencies only, runs as a non-root user and declares a HEALTHCHECK).
 */
export function dockerfileProblems(text: string): string[] {
  const problems = validate(text)
    .filter((d) => d.severity === ERROR)
    .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  const instructions = DockerfileParser.parse(text).getInstructions();
  const froms = instructions.flatMap((ins, i) => (ins.getKeyword() === 'FROM' ? [i] : []));
  if (froms.length < 2) problems.push('not a multi-stage build (one FROM or none)');
  const final = instructions.slice(froms.at(-1) ?? 0);
  const args = (keyword: string) =>
    final.filter((ins) => ins.getKeyword() === keyword).map((ins) => ins.getArgumentsContent() ?? '');
  const user = args('USER').at(-1);
  if (user === undefined || /^(root|0)(:|$)/.test(user))
    problems.push('the final stage does not run as a non-root USER');
  if (args('HEALTHCHECK').length === 0) problems.push('the final stage has no HEALTHCHECK');
  if (!args('RUN').some((run) => /\bnpm ci\b.*--omit=dev/.test(run))) {
    problems.push('the final stage does not install with `npm ci --omit=dev`');
  }
  return problems;
}
