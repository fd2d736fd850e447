// deploy/kubernetes/ read and judged: every YAML document loaded with the `yaml` package and
// checked against the Kubernetes API schema by kubernetes-models (one class per kind, each with
// its compiled OpenAPI validator), plus what that schema cannot see. Invariant: each check
// returns problems as sentences naming the file and the object, never throws for a bad manifest,
// so a test can assert on a broken copy as well as on the real files.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object (or the Kustomization) as read, with where it came from. */
export interface Manifest {
  file: string;
  // biome-ignore lint/suspicious/noExplicitAny: manifests are arbitrary YAML, judged by the schema.
  doc: any;
}

export const KUSTOMIZE_API = 'kustomize.config.k8s.io/v1beta1';

/** Every *.yaml / *.yml under `dir` (recursively), each document one Manifest; YAML errors as problems. */
export function loadManifests(dir: string): { manifests: Manifest[]; problems: string[] } {
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) {
        const file = relative(dir, path);
        for (const parsed of parseAllDocuments(readFileSync(path, 'utf8'))) {
          for (const e of parsed.errors) problems.push(`${file}: YAML: ${e.message.split('\n')[0]}`);
          const doc = parsed.toJS();
          if (doc !== null && doc !== undefined) manifests.push({ file, doc });
        }
      }
    }
  };
  walk(dir);
  return { manifests, problems };
}

export function nameOf(m: Manifest): string {
  return `${m.file}: ${m.doc?.kind ?? '(no kind)'} ${m.doc?.metadata?.name ?? '(no name)'}`;
}

/**
 * The kubernetes-models class for apiVersion + kind validates the document: types, enums,
 * required fields. The package's module path is the API group/version and the kind, so an
 * unknown kind (or a kind in the wrong group) has no module.
 */
export async function schemaProblems(m: Manifest): Promise<string[]> {
  const { apiVersion, kind } = m.doc ?? {};
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [`${nameOf(m)}: no apiVersion or kind`];
  if (apiVersion === KUSTOMIZE_API) return kind === 'Kustomization' ? [] : [`${nameOf(m)}: unknown kustomize kind`];
  if (!/^[A-Za-z0-9.]+(\/[A-Za-z0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]+$/.test(kind)) {
    return [`${nameOf(m)}: not an apiVersion/kind pair`];
  }
  let Model: new (data: unknown) => { validate(): void };
  try {
    const module = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Record<string, typeof Model>;
    Model = module[kind];
  } catch {
    return [`${nameOf(m)}: kind ${kind} is not in the Kubernetes API ${apiVersion}`];
  }
  try {
    new Model(m.doc).validate();
    return [];
  } catch (err) {
    return [`${nameOf(m)}: ${(err as Error).message}`];
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see Manifest.
type Obj = any;

export function ofKind(manifests: readonly Manifest[], kind: string): Manifest[] {
  return manifests.filter((m) => m.doc?.kind === kind);
}

/** True when every key of `selector` is in `labels` with the same value (a Service or matchLabels selector). */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function containersOf(deployment: Manifest): Obj[] {
  return deployment.doc?.spec?.template?.spec?.containers ?? [];
}

/** The value after `--flag` (or in `--flag=value`) in a container's args, every occurrence. */
export function flagValues(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    if (arg === flag && i + 1 < args.length) out.push(args[i + 1]);
    else if (arg.startsWith(`${flag}=`)) out.push(arg.slice(flag.length + 1));
  });
  return out;
}

/** A probe's or Service's port (a name or a number) among the container's ports. */
function hasPort(container: Obj, port: unknown): boolean {
  return (container.ports ?? []).some((p: Obj) => p.name === port || p.containerPort === port);
}

/**
 * What the schema cannot check across objects and inside our own conventions: a Deployment's
 * selector matches its pod labels; every Service, HPA and PDB points at a Deployment that exists,
 * on ports its containers have; every container has an image; probes go to /healthz and /readyz
 * on a container port; referenced Secrets, keys and ConfigMaps exist.
 */
export function crossReferenceProblems(manifests: readonly Manifest[]): string[] {
  const problems: string[] = [];
  const deployments = ofKind(manifests, 'Deployment');
  const secrets = new Map(ofKind(manifests, 'Secret').map((m) => [m.doc.metadata?.name, m.doc]));
  const configMaps = new Map(ofKind(manifests, 'ConfigMap').map((m) => [m.doc.metadata?.name, m.doc]));
  const secretKeys = (name: string): string[] => {
    const s = secrets.get(name);
    return s ? [...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})] : [];
  };
  for (const d of deployments) {
    const pod = d.doc.spec?.template;
    if (!selects(d.doc.spec?.selector?.matchLabels, pod?.metadata?.labels)) {
      problems.push(`${nameOf(d)}: spec.selector.matchLabels does not match the pod template's labels`);
    }
    for (const c of containersOf(d)) {
      if (!c.image) problems.push(`${nameOf(d)}: container ${c.name} has no image`);
      for (const [probe, path] of [
        ['livenessProbe', '/healthz'],
        ['readinessProbe', '/readyz'],
      ] as const) {
        const get = c[probe]?.httpGet;
        if (!get) problems.push(`${nameOf(d)}: container ${c.name} has no ${probe}`);
        else {
          if (get.path !== path) problems.push(`${nameOf(d)}: ${probe} goes to ${get.path}, not ${path}`);
          if (!hasPort(c, get.port)) problems.push(`${nameOf(d)}: ${probe} port ${get.port} is not a container port`);
        }
      }
      for (const env of c.env ?? []) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref && !secretKeys(ref.name).includes(ref.key))
          problems.push(`${nameOf(d)}: env ${env.name}: no key ${ref.key} in Secret ${ref.name}`);
      }
      const volumes = new Map((pod?.spec?.volumes ?? []).map((v: Obj) => [v.name, v]));
      for (const mount of c.volumeMounts ?? []) {
        if (!volumes.has(mount.name)) problems.push(`${nameOf(d)}: volumeMount ${mount.name} has no volume`);
      }
    }
    for (const v of pod?.spec?.volumes ?? []) {
      if (v.configMap && !configMaps.has(v.configMap.name))
        problems.push(`${nameOf(d)}: volume ${v.name}: no ConfigMap ${v.configMap.name}`);
      if (v.secret) {
        if (!secrets.has(v.secret.secretName)) problems.push(`${nameOf(d)}: volume ${v.name}: no Secret ${v.secret.secretName}`);
        for (const item of v.secret.items ?? []) {
          if (!secretKeys(v.secret.secretName).includes(item.key)) problems.push(`${nameOf(d)}: volume ${v.name}: no key ${item.key}`);
        }
      }
    }
  }
  for (const s of ofKind(manifests, 'Service')) {
    const targets = deployments.filter((d) => selects(s.doc.spec?.selector, d.doc.spec?.template?.metadata?.labels));
    if (targets.length !== 1) {
      problems.push(`${nameOf(s)}: its selector matches ${targets.length} Deployments' pods (want exactly 1)`);
      continue;
    }
    for (const port of s.doc.spec?.ports ?? []) {
      const target = port.targetPort ?? port.port;
      if (!containersOf(targets[0]).some((c) => hasPort(c, target))) {
        problems.push(`${nameOf(s)}: targetPort ${target} is not a port of ${nameOf(targets[0])}`);
      }
    }
  }
  for (const h of ofKind(manifests, 'HorizontalPodAutoscaler')) {
    const ref = h.doc.spec?.scaleTargetRef ?? {};
    const target = deployments.find((d) => ref.kind === 'Deployment' && d.doc.metadata?.name === ref.name);
    if (!target) problems.push(`${nameOf(h)}: scales ${ref.kind} ${ref.name}, which is not here`);
    const onCpu = (h.doc.spec?.metrics ?? []).some((m: Obj) => m.resource?.name === 'cpu');
    if (target && onCpu && !containersOf(target).every((c) => c.resources?.requests?.cpu)) {
      problems.push(`${nameOf(h)}: CPU utilization needs a CPU request on every container of ${nameOf(target)}`);
    }
  }
  for (const p of ofKind(manifests, 'PodDisruptionBudget')) {
    const n = deployments.filter((d) => selects(p.doc.spec?.selector?.matchLabels, d.doc.spec?.template?.metadata?.labels)).length;
    if (n !== 1) problems.push(`${nameOf(p)}: its selector matches ${n} Deployments' pods (want exactly 1)`);
  }
  return problems;
}
