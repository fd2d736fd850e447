// deploy/kubernetes/ is valid Kubernetes and fits relaycast: every document passes the API
// schema (kubernetes-models), the objects point at each other correctly, and what the pods run
// is what the image and the relay's flags provide (the Dockerfile's CMD, known flags, a config
// file the relay's own parser accepts, a preStop drain inside the termination grace).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { addRelayOptions } from '../relay/cli-options.js';
import { parseConfigText } from '../relay/settings/config-file.js';
import { configFileOptions } from '../relay/settings/config-command.js';
import { runTool } from './support/clients.js';
import {
  containersOf,
  crossReferenceProblems,
  flagValues,
  KUSTOMIZE_API,
  loadManifests,
  type Manifest,
  nameOf,
  ofKind,
  schemaProblems,
} from './support/k8s-manifests.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'dist/relay/cli.js');
const K8S = join(REPO, 'deploy/kubernetes');
/** The relay's SIGTERM shutdown deadline (config.ts shutdownTimeoutMs): what follows the drain. */
const SHUTDOWN_MS = 5000;
/** --drain-deadline-ms's default (TREE.md). */
const DEFAULT_DRAIN_DEADLINE_MS = 600_000;
/**
 * Flags of issue 14 named in /work/wt/TREE.md and built on other branches; accepted here until
 * they are in relay/cli-options.ts, after which the check below uses the real list alone.
 */
const ISSUE_14_FLAGS = ['--origin', '--origin-poll-ms', '--peer', '--peer-check-ms', '--redirect-over', '--drain-deadline-ms'];

const RELAY_OPTIONS = [...addRelayOptions(new Command('relay')).options, ...configFileOptions()];
const KNOWN_FLAGS = new Set([...RELAY_OPTIONS.map((o) => o.long ?? ''), ...ISSUE_14_FLAGS]);

const { manifests, problems: yamlProblems } = loadManifests(K8S);
const deployments = ofKind(manifests, 'Deployment');
const isEdge = (d: Manifest) => containersOf(d).some((c) => flagValues(c.args ?? [], '--origin').length > 0);

/** The image's CMD and WORKDIR: the args a container gives replace the CMD under tini. */
function dockerCmd(): { cmd: string[]; workdir: string } {
  const text = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(text)?.[1] ?? '[]') as string[];
  const workdir = [...text.matchAll(/^WORKDIR (\S+)$/gm)].pop()?.[1] ?? '/';
  return { cmd, workdir };
}

/** The file a container path is in: the volume mounted over it and the key under that mount. */
function mountedFile(d: Manifest, container: Manifest['doc'], path: string): { volume: Manifest['doc']; key: string } | undefined {
  for (const mount of container.volumeMounts ?? []) {
    const dir = `${mount.mountPath.replace(/\/$/, '')}/`;
    if (!path.startsWith(dir)) continue;
    const volume = (d.doc.spec.template.spec.volumes ?? []).find((v: { name: string }) => v.name === mount.name);
    return volume ? { volume, key: path.slice(dir.length) } : undefined;
  }
  return undefined;
}

describe('deploy/kubernetes manifests', () => {
  test('every file parses as YAML and holds the objects a tree needs', () => {
    assert.deepEqual(yamlProblems, []);
    const kinds = manifests.map((m) => m.doc.kind).sort();
    for (const kind of [
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Kustomization',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]) {
      assert.ok(kinds.includes(kind), `no ${kind} under deploy/kubernetes/ (found ${kinds.join(', ')})`);
    }
    assert.equal(deployments.length, 2, 'an origin and an edge Deployment');
    assert.equal(deployments.filter(isEdge).length, 1, 'exactly one Deployment runs edges (--origin)');
  });

  test('every document passes the Kubernetes API schema (kubernetes-models)', async () => {
    const problems = (await Promise.all(manifests.map(schemaProblems))).flat();
    assert.deepEqual(problems, []);
  });

  test('a broken manifest is caught: a wrong field type, a missing image, an unknown kind, a selector that selects nothing', async () => {
    const edge = deployments.find(isEdge) as Manifest;
    const copy = (): Manifest => ({ file: edge.file, doc: structuredClone(edge.doc) });
    const wrongType = copy();
    wrongType.doc.spec.replicas = 'two';
    assert.match((await schemaProblems(wrongType)).join('\n'), /replicas must be integer/);
    const wrongPort = copy();
    wrongPort.doc.spec.template.spec.containers[0].ports[0].containerPort = '8000';
    assert.match((await schemaProblems(wrongPort)).join('\n'), /containerPort must be integer/);
    const unknownKind = copy();
    unknownKind.doc.kind = 'Deploymint';
    assert.match((await schemaProblems(unknownKind)).join('\n'), /kind Deploymint is not in the Kubernetes API apps\/v1/);
    // The API schema leaves Container.image optional (a controller may fill it in); we do not.
    const noImage = copy();
    delete noImage.doc.spec.template.spec.containers[0].image;
    const others = manifests.filter((m) => m !== edge);
    assert.match(crossReferenceProblems([...others, noImage]).join('\n'), /container relaycast has no image/);
    const relabelled = copy();
    relabelled.doc.spec.template.metadata.labels['app.kubernetes.io/component'] = 'edgy';
    assert.match(crossReferenceProblems([...others, relabelled]).join('\n'), /selector matches 0 Deployments' pods/);
  });

  test('Services, the HPA and the PDB select Deployments that exist, on ports their containers have; probes, Secrets and ConfigMaps line up', () => {
    assert.deepEqual(crossReferenceProblems(manifests), []);
  });

  test("the kustomization lists every manifest beside it, and the image it rewrites is the containers' image", () => {
    const kustomization = manifests.find((m) => m.doc.apiVersion === KUSTOMIZE_API) as Manifest;
    const beside = [...new Set(manifests.filter((m) => !m.file.includes('/') && m !== kustomization).map((m) => m.file))].sort();
    assert.deepEqual([...kustomization.doc.resources].sort(), beside);
    const images = new Set(deployments.flatMap((d) => containersOf(d).map((c) => c.image)));
    assert.deepEqual(
      kustomization.doc.images.map((i: { name: string }) => i.name),
      [...images],
    );
  });

  test("each container runs the image's relay command with flags the relay knows and a config file its parser accepts", () => {
    const { cmd, workdir } = dockerCmd();
    assert.deepEqual(cmd.slice(-1), ['relay'], "the Dockerfile's CMD runs the relay");
    for (const d of deployments) {
      const configMaps = new Map(ofKind(manifests, 'ConfigMap').map((m) => [m.doc.metadata.name, m.doc]));
      for (const c of containersOf(d)) {
        const args: string[] = c.args ?? [];
        assert.deepEqual(args.slice(0, cmd.length), cmd, `${nameOf(d)}: args start with the image's CMD (${cmd.join(' ')})`);
        assert.equal(c.command, undefined, `${nameOf(d)}: the image's ENTRYPOINT (tini) stays`);
        for (const flag of args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0])) {
          assert.ok(KNOWN_FLAGS.has(flag), `${nameOf(d)}: ${flag} is not a flag of relaycast relay`);
        }
        const [configPath] = flagValues(args, '--config');
        assert.ok(configPath, `${nameOf(d)}: --config`);
        const file = mountedFile(d, c, configPath);
        assert.ok(file?.volume.configMap, `${nameOf(d)}: ${configPath} is in a mounted ConfigMap`);
        const text = configMaps.get(file.volume.configMap.name)?.data?.[file.key];
        assert.ok(text, `${nameOf(d)}: ConfigMap ${file.volume.configMap.name} has the key ${file.key}`);
        const config = parseConfigText(text, `${file.volume.configMap.name}/${file.key}`, RELAY_OPTIONS);
        const metricsPort = c.ports.find((p: { name: string }) => p.name === 'metrics')?.containerPort;
        assert.equal(config.flags.metricsPort, metricsPort, `${nameOf(d)}: the config's metrics-port is the container port named metrics`);
        assert.equal(config.flags.metricsHost, '0.0.0.0', 'metrics reachable from the pod network');
        assert.ok(workdir.startsWith('/'), 'the image has a WORKDIR');
      }
    }
  });

  test("the edge drains in preStop with `relaycast drain --wait`, inside a termination grace longer than --drain-deadline-ms, and pulls from the origin's Service", () => {
    const { cmd, workdir } = dockerCmd();
    const edge = deployments.find(isEdge) as Manifest;
    const services = ofKind(manifests, 'Service');
    for (const c of containersOf(edge)) {
      const stop: string[] = c.lifecycle?.preStop?.exec?.command ?? [];
      // The same CLI as the CMD, by absolute path: a hook runs in the container's WORKDIR, but say it.
      assert.deepEqual(stop.slice(0, 3), [cmd[0], join(workdir, cmd[1]), 'drain'], `preStop runs the drain subcommand: ${stop.join(' ')}`);
      assert.ok(stop.includes('--wait'), 'preStop waits for the drain');
      const url = new URL(flagValues(stop, '--url')[0]);
      assert.equal(url.hostname, '127.0.0.1');
      assert.ok(
        c.ports.some((p: { containerPort: number }) => p.containerPort === Number(url.port)),
        `the drain's --url port ${url.port} is a container port`,
      );
      const passwordFile = mountedFile(edge, c, flagValues(stop, '--admin-password-file')[0]);
      assert.ok(passwordFile?.volume.secret, 'the admin password file is in a mounted Secret');
      assert.ok(
        passwordFile.volume.secret.items.some(
          (i: { path: string; key: string }) => i.path === passwordFile.key && i.key === 'admin-password',
        ),
        'and it is the admin password',
      );
      const deadlineMs = Number(flagValues(c.args, '--drain-deadline-ms')[0] ?? DEFAULT_DRAIN_DEADLINE_MS);
      const graceMs = edge.doc.spec.template.spec.terminationGracePeriodSeconds * 1000;
      assert.ok(
        graceMs > deadlineMs + SHUTDOWN_MS,
        `terminationGracePeriodSeconds (${graceMs} ms) > drain deadline ${deadlineMs} ms + shutdown`,
      );
      for (const origin of flagValues(c.args, '--origin').map((u) => new URL(u))) {
        const service = services.find((s) => s.doc.metadata.name === origin.hostname);
        assert.ok(service, `--origin ${origin.href} names a Service here`);
        assert.ok(
          service.doc.spec.ports.some((p: { port: number }) => p.port === Number(origin.port)),
          `--origin's port ${origin.port} is a port of Service ${origin.hostname}`,
        );
        assert.notEqual(service.doc.spec.type, 'LoadBalancer', 'the origin is not public');
      }
    }
    const origin = deployments.find((d) => !isEdge(d)) as Manifest;
    assert.equal(origin.doc.spec.replicas, 1, 'one origin: a mount takes one source');
    assert.equal(origin.doc.spec.strategy.type, 'Recreate', 'a rollout never runs two origins');
  });

  test('the drain subcommand the hooks run takes the flags they give it', async (t) => {
    const help = await runTool(process.execPath, [CLI, 'drain', '--help']);
    // `relaycast drain` is built on another branch of issue 14 (TREE.md); until it is merged the
    // program answers with its general help, and there is nothing to hold the hooks against.
    if (!help.stdout.includes('Usage: relaycast drain')) {
      t.skip('relaycast drain is not on this branch yet');
      return;
    }
    const edge = deployments.find(isEdge) as Manifest;
    const unit = readFileSync(join(REPO, 'deploy/systemd/relaycast-edge@.service'), 'utf8');
    const systemdStop = /^ExecStop=-\S+ drain (.*)$/m.exec(unit)?.[1].split(' ') ?? [];
    for (const args of [...containersOf(edge).map((c) => c.lifecycle.preStop.exec.command.slice(3)), systemdStop]) {
      for (const flag of args.filter((a: string) => a.startsWith('--')))
        assert.ok(help.stdout.includes(flag), `relaycast drain takes ${flag}`);
    }
  });

  test('every pod runs as non-root on a read-only root file system, with no privilege escalation', () => {
    for (const d of deployments) {
      assert.equal(d.doc.spec.template.spec.securityContext?.runAsNonRoot, true, `${nameOf(d)}: runAsNonRoot`);
      for (const c of containersOf(d)) {
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${nameOf(d)}: readOnlyRootFilesystem`);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${nameOf(d)}: allowPrivilegeEscalation`);
        assert.ok(c.resources?.requests?.cpu && c.resources?.limits?.memory, `${nameOf(d)}: CPU request and memory limit`);
      }
    }
  });

  test('the listener-count alternative asks the adapter for relaycast_listeners, a gauge the relay exports, and its HPA uses that name', () => {
    const rules = ofKind(manifests, 'ConfigMap').find((m) => m.file.startsWith('listener-autoscaling/')) as Manifest;
    const rule = parseYaml(rules.doc.data['config.yaml']).rules[0];
    assert.match(rule.seriesQuery, /^relaycast_listeners\{/);
    const metricsSource = readFileSync(join(REPO, 'relay/metrics/metrics.ts'), 'utf8');
    assert.match(metricsSource, /gauge\('relaycast_listeners'/, 'the relay registers relaycast_listeners');
    const hpa = ofKind(manifests, 'HorizontalPodAutoscaler').find((m) => m.file.startsWith('listener-autoscaling/')) as Manifest;
    assert.equal(hpa.doc.spec.metrics[0].pods.metric.name, rule.name.as);
  });
});
