#!/usr/bin/env python3
"""Checks deploy/kubernetes/ (issue 18 §9) without a cluster.

What a schema validator would not say: every pod meets the « restricted »
Pod Security level, images are pinned, the nodes have their probes and
never migrate, a Job migrates, the HPA, NetworkPolicy and namespace label
are there, and the Secret stays out of what kustomization.yaml applies.
Also checks the shape of each object (apiVersion, kind, metadata.name, and
the fields the checks read), enough to catch a misspelt key.

    scripts/check-k8s.py [DIR]      # default deploy/kubernetes
    scripts/check-k8s.py --self-test  # each check must catch a broken copy

Exits 1 naming every problem. Needs python3-yaml.
"""

import copy
import os
import sys

import yaml

POD_KINDS = {"Deployment", "Job", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Volume types the restricted level allows.
ALLOWED_VOLUMES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
    "persistentVolumeClaim", "projected", "secret",
}
KNOWN_API = {
    "Namespace": "v1", "ConfigMap": "v1", "Service": "v1", "Secret": "v1",
    "Deployment": "apps/v1", "Job": "batch/v1",
    "PodDisruptionBudget": "policy/v1",
    "HorizontalPodAutoscaler": "autoscaling/v2",
    "NetworkPolicy": "networking.k8s.io/v1", "Ingress": "networking.k8s.io/v1",
}
CONTAINER_KEYS = {
    "name", "image", "args", "command", "env", "ports", "startupProbe",
    "readinessProbe", "livenessProbe", "lifecycle", "resources",
    "securityContext", "volumeMounts", "workingDir", "envFrom",
    "imagePullPolicy",
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def applied(root):
    """The objects kustomization.yaml applies, and those of examples/."""
    kust = load(os.path.join(root, "kustomization.yaml"))[0]
    objs = []
    for r in kust.get("resources", []):
        for d in load(os.path.join(root, r)):
            objs.append((r, d))
    examples = []
    ex_dir = os.path.join(root, "examples")
    if os.path.isdir(ex_dir):
        for name in sorted(os.listdir(ex_dir)):
            if name.endswith((".yaml", ".yml")):
                for d in load(os.path.join(ex_dir, name)):
                    examples.append(("examples/" + name, d))
    return kust, objs, examples


def pod_spec(obj):
    if obj.get("kind") in POD_KINDS:
        return obj.get("spec", {}).get("template", {}).get("spec")
    return None


def split_image(image):
    """(name, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest


def image_pinned(image, kust):
    """A tag other than latest, or a digest: as written and after
    kustomization.yaml's `images` (both, so that `kubectl apply -f` of one
    file is pinned too)."""
    name, tag, digest = split_image(image)
    written = bool(digest) or (bool(tag) and tag != "latest")
    for i in kust.get("images", []):
        if i.get("name") == name:
            if i.get("digest"):
                digest = i["digest"]
            if i.get("newTag") is not None:
                tag = str(i["newTag"])
    effective = bool(digest) or (bool(tag) and tag != "latest")
    return written and effective


def check(root):
    problems = []
    kust, objs, examples = applied(root)

    def bad(where, what):
        problems.append(f"{where}: {what}")

    kinds = {}
    for f, o in objs + examples:
        kind = o.get("kind")
        where = f"{f} {kind}/{o.get('metadata', {}).get('name')}"
        if kind not in KNOWN_API:
            bad(where, f"unknown kind {kind!r}")
        elif o.get("apiVersion") != KNOWN_API[kind]:
            bad(where, f"apiVersion {o.get('apiVersion')!r}, expected {KNOWN_API[kind]!r}")
        if not o.get("metadata", {}).get("name"):
            bad(where, "no metadata.name")
    for f, o in objs:
        kinds.setdefault(o.get("kind"), []).append((f, o))

    # The Secret is never applied from the folder; its example is elsewhere.
    if "Secret" in kinds:
        bad("kustomization.yaml", "applies a Secret: keep it in examples/ (never committed filled)")
    ex_kinds = {o.get("kind") for _, o in examples}
    for k in ("Secret", "Ingress"):
        if k not in ex_kinds:
            bad("examples/", f"no {k} example")
    for k in ("Namespace", "ConfigMap", "Deployment", "Job", "Service",
              "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"):
        if k not in kinds:
            bad("kustomization.yaml", f"applies no {k}")

    for f, ns in kinds.get("Namespace", []):
        labels = ns.get("metadata", {}).get("labels", {})
        if labels.get("pod-security.kubernetes.io/enforce") != "restricted":
            bad(f, "namespace not labelled pod-security.kubernetes.io/enforce: restricted")

    for f, o in objs:
        spec = pod_spec(o)
        if spec is None:
            continue
        where = f"{f} {o['kind']}/{o['metadata']['name']}"
        psc = spec.get("securityContext", {})
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(key):
                bad(where, f"{key} is not allowed")
        if psc.get("runAsUser") == 0:
            bad(where, "pod runAsUser 0")
        for v in spec.get("volumes", []):
            types = set(v) - {"name"}
            if not types <= ALLOWED_VOLUMES:
                bad(where, f"volume {v.get('name')}: {sorted(types - ALLOWED_VOLUMES)} not allowed")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        containers = spec.get("containers", []) + spec.get("initContainers", [])
        if not spec.get("containers"):
            bad(where, "no containers")
        for c in containers:
            cw = f"{where} container {c.get('name')}"
            unknown = set(c) - CONTAINER_KEYS
            if unknown:
                bad(cw, f"unknown keys {sorted(unknown)}")
            sc = c.get("securityContext", {})
            if sc.get("allowPrivilegeEscalation") is not False:
                bad(cw, "allowPrivilegeEscalation must be false")
            if sc.get("privileged"):
                bad(cw, "privileged")
            caps = sc.get("capabilities", {})
            if "ALL" not in caps.get("drop", []):
                bad(cw, "capabilities.drop must contain ALL")
            if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
                bad(cw, f"capabilities.add {caps.get('add')}")
            if not (sc.get("runAsNonRoot") is True or
                    (psc.get("runAsNonRoot") is True and sc.get("runAsNonRoot") is not False)):
                bad(cw, "runAsNonRoot must be true")
            if sc.get("runAsUser") == 0:
                bad(cw, "runAsUser 0")
            seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
            if seccomp not in ("RuntimeDefault", "Localhost"):
                bad(cw, "seccompProfile must be RuntimeDefault")
            if sc.get("readOnlyRootFilesystem") is not True:
                bad(cw, "readOnlyRootFilesystem must be true")
            image = c.get("image", "")
            if not image_pinned(image, kust):
                bad(cw, f"image {image!r} is not pinned (a tag other than latest, or a digest)")
            # The writable paths are emptyDir volumes.
            mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
            for path in ("/tmp", "/var/lib/sesame"):
                m = mounts.get(path)
                if not m or "emptyDir" not in volumes.get(m["name"], {}):
                    bad(cw, f"{path} must be an emptyDir (the root filesystem is read-only)")
            if not c.get("resources", {}).get("limits", {}).get("memory"):
                bad(cw, "no memory limit")
            env = {e["name"]: e.get("value") for e in c.get("env", [])}
            if o["kind"] == "Deployment":
                for p in ("startupProbe", "readinessProbe", "livenessProbe"):
                    if p not in c:
                        bad(cw, f"no {p}")
                if env.get("SESAME__DATABASE__MIGRATE") != "never":
                    bad(cw, "nodes must not migrate: env SESAME__DATABASE__MIGRATE=never")
                if "serve" not in c.get("args", []):
                    bad(cw, "args must run `serve`")
            if o["kind"] == "Job" and "migrate" not in c.get("args", []):
                bad(cw, "the Job must run `migrate`")
        if o["kind"] == "Deployment" and spec.get("automountServiceAccountToken") is not False:
            bad(where, "automountServiceAccountToken must be false (Sésame calls no Kubernetes API)")

    for f, cm in kinds.get("ConfigMap", []):
        toml = cm.get("data", {}).get("sesame.toml", "")
        if 'migrate = "never"' not in toml:
            bad(f, 'sesame.toml must set [database] migrate = "never"')
        if 'data_dir = "/var/lib/sesame/' not in toml:
            bad(f, "server.data_dir must be under the /var/lib/sesame emptyDir")
    for f, hpa in kinds.get("HorizontalPodAutoscaler", []):
        if hpa["spec"].get("scaleTargetRef", {}).get("name") not in {
            o["metadata"]["name"] for _, o in kinds.get("Deployment", [])
        }:
            bad(f, "the HPA scales no Deployment of this folder")
    for f, d in kinds.get("Deployment", []):
        if "HorizontalPodAutoscaler" in kinds and "replicas" in d["spec"]:
            bad(f, "replicas set while an HPA owns it (each apply would reset it)")
    for f, np in kinds.get("NetworkPolicy", []):
        if set(np["spec"].get("policyTypes", [])) != {"Ingress", "Egress"}:
            bad(f, "the NetworkPolicy must restrict Ingress and Egress")
    return problems


def self_test(root):
    """Each mutation of a good folder must be caught by check()."""
    import shutil
    import tempfile

    def mutate_deploy(fn):
        def go(d):
            p = os.path.join(d, "deployment.yaml")
            docs = load(p)
            fn(docs[0])
            with open(p, "w", encoding="utf-8") as f:
                yaml.safe_dump_all(docs, f)
        return go

    def c0(o):
        return o["spec"]["template"]["spec"]["containers"][0]

    def kust(fn):
        def go(d):
            p = os.path.join(d, "kustomization.yaml")
            k = load(p)[0]
            fn(k)
            with open(p, "w", encoding="utf-8") as f:
                yaml.safe_dump(k, f)
        return go

    mutations = {
        "capabilities not dropped": mutate_deploy(lambda o: c0(o)["securityContext"].pop("capabilities")),
        "privilege escalation": mutate_deploy(lambda o: c0(o)["securityContext"].update(allowPrivilegeEscalation=True)),
        "writable root": mutate_deploy(lambda o: c0(o)["securityContext"].update(readOnlyRootFilesystem=False)),
        "no seccomp": mutate_deploy(lambda o: (c0(o)["securityContext"].pop("seccompProfile"),
                                               o["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile"))),
        "root": mutate_deploy(lambda o: c0(o)["securityContext"].update(runAsUser=0)),
        "no startup probe": mutate_deploy(lambda o: c0(o).pop("startupProbe")),
        "nodes migrate": mutate_deploy(lambda o: c0(o)["env"].__setitem__(1, {"name": "SESAME__DATABASE__MIGRATE", "value": "auto"})),
        "latest tag": kust(lambda k: k["images"][0].update(newTag="latest")),
        "latest written": mutate_deploy(lambda o: c0(o).update(image="registry.ac-exemple.fr/sesame:latest")),
        "no tag": mutate_deploy(lambda o: c0(o).update(image="registry.ac-exemple.fr/sesame")),
        "secret applied": kust(lambda k: k["resources"].append("examples/secret.example.yaml")),
        "no network policy": kust(lambda k: k["resources"].remove("networkpolicy.yaml")),
        "hostPath": mutate_deploy(lambda o: o["spec"]["template"]["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}})),
        "misspelt key": mutate_deploy(lambda o: c0(o).__setitem__("readinesProbe", c0(o).pop("readinessProbe"))),
    }
    failures = []
    base = check(root)
    if base:
        failures.append("the folder itself fails: " + "; ".join(base))
    for name, fn in mutations.items():
        with tempfile.TemporaryDirectory() as d:
            dst = os.path.join(d, "k")
            shutil.copytree(root, dst)
            fn(dst)
            if not check(dst):
                failures.append(f"mutation not caught: {name}")
    return len(mutations), failures


def main():
    args = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "deploy", "kubernetes")
    if args and args[0] == "--self-test":
        root = args[1] if len(args) > 1 else default
        n, failures = self_test(root)
        for f in failures:
            print(f"check-k8s self-test: {f}", file=sys.stderr)
        print(f"check-k8s self-test: {n - len(failures)} mutations caught, {len(failures)} failures")
        return 1 if failures else 0
    root = args[0] if args else default
    problems = check(root)
    for p in problems:
        print(f"check-k8s: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check-k8s: {os.path.normpath(root)} meets the restricted Pod Security level and the checks of issue 18 §9")
    return 0


if __name__ == "__main__":
    sys.exit(main())
