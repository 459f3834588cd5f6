"""A small renderer of the subset of kustomize that deploy/k8s uses, so that the deploy checks can look at
what ``kubectl apply -k`` would send without kustomize on the machine.

It does exactly what kustomize (v5, as in kubectl) does for these kustomization fields, in kustomize's
order within one kustomization (patches, namespace, labels, replicas, images), and refuses everything
else by raising :class:`KustomizeError` -- an unknown field, a strategic-merge patch, a label selector
it does not parse, a feature whose kustomize behaviour it does not reproduce -- so that a manifest
can never silently render differently here than in kubectl:

- ``resources``: files (multi-document YAML, inside the kustomization's directory, as kustomize's
  default load restrictor demands) and directories holding a kustomization, rendered first; two
  resources with the same group/version/kind/namespace/name are an error;
- ``namespace``: sets ``metadata.namespace`` of every namespaced resource (and a pod template's
  ``metadata.namespace`` where one is written); refused for the kinds where kustomize does more
  (Namespace, RoleBinding, ClusterRoleBinding, APIService);
- ``labels``: ``pairs`` added to every resource's ``metadata.labels``; ``includeSelectors``,
  ``includeTemplates`` and ``fields`` are refused (selectors of a Deployment are immutable, and
  ``commonLabels`` is refused for the same reason);
- ``images``: ``name`` with ``newName``, ``newTag`` or ``digest``, applied to the ``image`` of every
  entry of every ``containers`` / ``initContainers`` list anywhere in a resource, as kustomize does;
- ``replicas``: ``spec.replicas`` of the Deployment, ReplicaSet, ReplicationController or StatefulSet
  of that name;
- ``patches``: JSON 6902 patches (a YAML/JSON list of operations), inline (``patch``) or from a file
  (``path``), applied to every resource the ``target`` selects (``group``, ``version``, ``kind``,
  ``name``, ``namespace`` as anchored regular expressions; ``labelSelector`` / ``annotationSelector``
  with ``key=value``, ``key==value``, ``key!=value``, ``key`` and ``!key`` terms); a patch may not
  rename a resource or change its kind.

Where kustomize would quietly do nothing -- a patch whose target selects nothing, ``replicas`` or
``images`` naming nothing -- this renderer raises too: in deploy/ that is always a mistake.

    python -m tests.deploy.kustomize deploy/k8s/overlays/production   # print the rendered YAML
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import jsonpatch
import yaml

KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
FIELDS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
WHY_REFUSED = {
    "commonLabels": "it also rewrites selectors, which are immutable on a Deployment; use labels",
    "patchesStrategicMerge": "only JSON 6902 patches are rendered here; use patches with a list of ops",
    "patchesJson6902": "deprecated in kustomize v5; use patches",
}
# kinds without a namespace: kustomize's namespace transformer leaves them alone
CLUSTER_SCOPED = {
    "ComponentStatus", "Node", "PersistentVolume", "ClusterRole", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode",
    "VolumeAttachment", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "CertificateSigningRequest",
    "FlowSchema", "PriorityLevelConfiguration", "TokenReview", "SubjectAccessReview",
    "SelfSubjectAccessReview", "SelfSubjectRulesReview",
}
# kinds on which kustomize's namespace transformer writes more than metadata.namespace
NAMESPACE_SPECIAL = {"Namespace", "RoleBinding", "ClusterRoleBinding", "APIService"}
# kustomize's namespace field specs: spec/template/metadata/namespace of these, when present
NAMESPACED_TEMPLATES = {"Deployment", "StatefulSet", "DaemonSet"}
REPLICATED = {"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"}
PATCH_FIELDS = {"path", "patch", "target"}
TARGET_FIELDS = {"group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"}
IMAGE_FIELDS = {"name", "newName", "newTag", "digest"}


class KustomizeError(Exception):
    """The kustomization uses something this renderer does not reproduce faithfully, or is wrong."""


def build(directory: str | Path) -> list[dict]:
    """The resources ``kubectl kustomize DIRECTORY`` renders, in the order their files list them."""
    return _build(Path(directory).resolve(), ())


def _build(root: Path, seen: tuple[Path, ...]) -> list[dict]:
    if root in seen:
        raise KustomizeError(f"{root}: kustomizations include each other: {' -> '.join(map(str, seen))}")
    found = [root / name for name in KUSTOMIZATION_FILES if (root / name).is_file()]
    if len(found) != 1:
        raise KustomizeError(f"{root}: expected exactly one of {', '.join(KUSTOMIZATION_FILES)}, "
                             f"found {len(found)}")
    where = found[0]
    kustomization = yaml.safe_load(where.read_text()) or {}
    if not isinstance(kustomization, dict):
        raise KustomizeError(f"{where}: not a mapping")
    unknown = sorted(set(kustomization) - FIELDS)
    if unknown:
        reasons = "; ".join(f"{field}: {WHY_REFUSED[field]}" for field in unknown if field in WHY_REFUSED)
        raise KustomizeError(f"{where}: kustomization field(s) {unknown} are not supported by this renderer "
                             f"(it renders only {sorted(FIELDS - {'apiVersion', 'kind'})})"
                             + (f" -- {reasons}" if reasons else ""))
    if kustomization.get("apiVersion", KUSTOMIZE_API) != KUSTOMIZE_API \
            or kustomization.get("kind", "Kustomization") != "Kustomization":
        raise KustomizeError(f"{where}: not a kustomize.config.k8s.io/v1beta1 Kustomization")

    resources: list[dict] = []
    for entry in _list(kustomization, "resources", where):
        if not isinstance(entry, str) or "://" in entry or entry.startswith(("github.com/", "git@")):
            raise KustomizeError(f"{where}: resource {entry!r}: only local files and directories are "
                                 "rendered")
        path = (root / entry).resolve()
        if path.is_dir():
            loaded = _build(path, (*seen, root))
        elif path.is_file():
            _inside(root, path, where)
            loaded = _load_resources(path)
        else:
            raise KustomizeError(f"{where}: resource {entry!r} does not exist")
        for resource in loaded:
            _add(resources, resource, where)

    for patch in _list(kustomization, "patches", where):
        _patch(resources, patch, root, where)
    if "namespace" in kustomization:
        _namespace(resources, kustomization["namespace"], where)
    for label in _list(kustomization, "labels", where):
        _labels(resources, label, where)
    for replica in _list(kustomization, "replicas", where):
        _replicas(resources, replica, where)
    for image in _list(kustomization, "images", where):
        _images(resources, image, where)
    return resources


def _list(kustomization: dict, field: str, where: Path) -> list:
    value = kustomization.get(field) or []
    if not isinstance(value, list):
        raise KustomizeError(f"{where}: {field} must be a list")
    return value


def _inside(root: Path, path: Path, where: Path) -> None:
    if not path.is_relative_to(root):
        raise KustomizeError(f"{where}: {path} is not in or below {root} (kustomize's load restrictor "
                             "refuses files outside the kustomization root)")


def _load_resources(path: Path) -> list[dict]:
    loaded = []
    for document in yaml.safe_load_all(path.read_text()):
        if document is None:
            continue
        if not isinstance(document, dict) or not all(k in document for k in ("apiVersion", "kind")) \
                or not (document.get("metadata") or {}).get("name"):
            raise KustomizeError(f"{path}: every document needs apiVersion, kind and metadata.name")
        if document["kind"].endswith("List"):
            raise KustomizeError(f"{path}: {document['kind']} documents are not rendered; list the items")
        loaded.append(document)
    return loaded


def resource_id(resource: dict) -> tuple[str, str, str, str, str]:
    """(group, version, kind, namespace, name), what kustomize tells resources apart by."""
    group, _, version = resource["apiVersion"].rpartition("/")
    metadata = resource.get("metadata") or {}
    return group, version, resource["kind"], metadata.get("namespace") or "", metadata["name"]


def _add(resources: list[dict], resource: dict, where: Path) -> None:
    rid = resource_id(resource)
    if any(resource_id(existing) == rid for existing in resources):
        raise KustomizeError(f"{where}: may not add resource with an already registered id: {rid}")
    resources.append(copy.deepcopy(resource))


# patches


def _patch(resources: list[dict], entry: dict, root: Path, where: Path) -> None:
    if not isinstance(entry, dict) or set(entry) - PATCH_FIELDS:
        raise KustomizeError(f"{where}: patch entries may have only {sorted(PATCH_FIELDS)}: {entry!r}")
    if ("path" in entry) == ("patch" in entry):
        raise KustomizeError(f"{where}: a patch needs exactly one of path and patch: {entry!r}")
    if "path" in entry:
        path = (root / entry["path"]).resolve()
        _inside(root, path, where)
        if not path.is_file():
            raise KustomizeError(f"{where}: patch file {entry['path']!r} does not exist")
        text, label = path.read_text(), str(path)
    else:
        text, label = entry["patch"], f"{where}: inline patch"
    ops = yaml.safe_load(text)
    if not isinstance(ops, list):
        raise KustomizeError(f"{label}: not a JSON 6902 patch (a list of operations); strategic-merge "
                             "patches are not rendered here")
    target = entry.get("target")
    if not isinstance(target, dict) or not target or set(target) - TARGET_FIELDS:
        raise KustomizeError(f"{label}: a JSON 6902 patch needs a target with some of "
                             f"{sorted(TARGET_FIELDS)}")
    try:
        patch = jsonpatch.JsonPatch(ops)
    except (jsonpatch.JsonPatchException, TypeError, KeyError) as exc:
        raise KustomizeError(f"{label}: invalid JSON patch: {exc}") from exc
    selected = [i for i, resource in enumerate(resources) if _selects(target, resource, label)]
    if not selected:
        raise KustomizeError(f"{label}: target {target!r} selects no resource")
    for i in selected:
        before = resources[i]
        try:
            after = patch.apply(before, in_place=False)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise KustomizeError(f"{label}: cannot apply to {resource_id(before)}: {exc}") from exc
        if (after.get("kind"), (after.get("metadata") or {}).get("name")) != (before["kind"],
                                                                             before["metadata"]["name"]):
            raise KustomizeError(f"{label}: a patch may not change the kind or name of {resource_id(before)}")
        resources[i] = after


def _selects(target: dict, resource: dict, label: str) -> bool:
    group, version, kind, namespace, name = resource_id(resource)
    for field, value in (("group", group), ("version", version), ("kind", kind), ("namespace", namespace),
                         ("name", name)):
        if field in target and not re.fullmatch(target[field], value):
            return False
    metadata = resource.get("metadata") or {}
    return (_matches(target.get("labelSelector"), metadata.get("labels") or {}, label)
            and _matches(target.get("annotationSelector"), metadata.get("annotations") or {}, label))


def _matches(selector: str | None, values: dict, label: str) -> bool:
    if not selector:
        return True
    for term in (part.strip() for part in selector.split(",")):
        if match := re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", term):
            key, op, value = match.groups()
            if (values.get(key) == value) != (op != "!="):
                return False
        elif re.fullmatch(r"[\w./-]+", term):
            if term not in values:
                return False
        elif re.fullmatch(r"![\w./-]+", term):
            if term[1:] in values:
                return False
        else:
            raise KustomizeError(f"{label}: selector term {term!r} is not rendered here (use key=value, "
                                 "key!=value, key or !key)")
    return True


# namespace, labels, replicas, images


def _namespace(resources: list[dict], namespace: str, where: Path) -> None:
    if not isinstance(namespace, str) or not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", namespace):
        raise KustomizeError(f"{where}: namespace {namespace!r} is not a DNS label")
    for resource in resources:
        kind = resource["kind"]
        if kind in NAMESPACE_SPECIAL:
            raise KustomizeError(f"{where}: kustomize's namespace transformer rewrites more than "
                                 f"metadata.namespace on a {kind}; not rendered here")
        if kind in CLUSTER_SCOPED:
            continue
        resource.setdefault("metadata", {})["namespace"] = namespace
        template_meta = ((resource.get("spec") or {}).get("template") or {}).get("metadata")
        if kind in NAMESPACED_TEMPLATES and isinstance(template_meta, dict) and "namespace" in template_meta:
            template_meta["namespace"] = namespace


def _labels(resources: list[dict], entry: dict, where: Path) -> None:
    if not isinstance(entry, dict) or set(entry) - {"pairs", "includeSelectors", "includeTemplates"}:
        raise KustomizeError(f"{where}: labels entries may have only pairs (and includeSelectors / "
                             f"includeTemplates set to false): {entry!r}")
    if entry.get("includeSelectors") or entry.get("includeTemplates"):
        raise KustomizeError(f"{where}: labels with includeSelectors or includeTemplates are not rendered "
                             "here (selectors are immutable on a Deployment; write template labels out)")
    pairs = entry.get("pairs") or {}
    if not isinstance(pairs, dict) or not all(isinstance(v, str) for v in pairs.values()):
        raise KustomizeError(f"{where}: labels pairs must map names to strings: {pairs!r}")
    for resource in resources:
        metadata = resource.setdefault("metadata", {})
        metadata["labels"] = {**(metadata.get("labels") or {}), **pairs}


def _replicas(resources: list[dict], entry: dict, where: Path) -> None:
    if not isinstance(entry, dict) or set(entry) != {"name", "count"} or not isinstance(entry["count"], int):
        raise KustomizeError(f"{where}: replicas entries need exactly name and an integer count: {entry!r}")
    hits = [r for r in resources if r["kind"] in REPLICATED and r["metadata"]["name"] == entry["name"]]
    if not hits:
        raise KustomizeError(f"{where}: replicas: no {'/'.join(sorted(REPLICATED))} named {entry['name']!r}")
    for resource in hits:
        resource.setdefault("spec", {})["replicas"] = entry["count"]


def split_image(image: str) -> tuple[str, str, str]:
    """"registry:5000/a/b:tag@sha256:..." -> ("registry:5000/a/b", ":tag", "@sha256:...")."""
    name, at, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = ""
    if colon > slash:
        name, tag = name[:colon], name[colon:]
    return name, tag, at + digest


def _images(resources: list[dict], entry: dict, where: Path) -> None:
    if not isinstance(entry, dict) or "name" not in entry or set(entry) - IMAGE_FIELDS:
        raise KustomizeError(f"{where}: images entries need name and some of newName, newTag, digest: "
                             f"{entry!r}")
    if "newTag" in entry and "digest" in entry:
        raise KustomizeError(f"{where}: images entry with both newTag and digest is not rendered here")
    changed = 0

    def visit(node) -> None:
        nonlocal changed
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("containers", "initContainers") and isinstance(value, list):
                    for container in value:
                        if isinstance(container, dict) and isinstance(container.get("image"), str):
                            name, tag, digest = split_image(container["image"])
                            if name == entry["name"]:
                                if "digest" in entry:
                                    tag, digest = "", "@" + entry["digest"]
                                elif "newTag" in entry:
                                    tag, digest = ":" + str(entry["newTag"]), ""
                                container["image"] = entry.get("newName", name) + tag + digest
                                changed += 1
                visit(value)
        elif isinstance(node, list):
            for item in node:
                visit(item)

    for resource in resources:
        visit(resource)
    if not changed:
        raise KustomizeError(f"{where}: images: no container uses image {entry['name']!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.deploy.kustomize DIRECTORY", file=sys.stderr)
        return 2
    try:
        rendered = build(argv[0])
    except KustomizeError as exc:
        print(f"kustomize: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(yaml.safe_dump_all(rendered, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
