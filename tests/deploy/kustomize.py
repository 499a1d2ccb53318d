"""A tiny kustomize for deploy/k8s, so the manifests are rendered and
checked without kubectl: resources (files and folders with their own
kustomization.yaml), namespace, images, and strategic-merge patches with
the merge keys these manifests use (lists of mappings with a `name` merge
by name, as containers, env, ports and volumes do; other lists replace).
tests/deploy compares the result with `kubectl kustomize` where it exists."""
import copy
import os

import yaml

CLUSTER_SCOPED = {"Namespace"}


def _documents(path):
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def merge(base, patch):
    """Strategic merge of `patch` into `base` (a new object)."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(patch, list) and all(
            isinstance(item, dict) and "name" in item for item in base + patch):
        merged = [copy.deepcopy(item) for item in base]
        index = {item["name"]: i for i, item in enumerate(merged)}
        for item in patch:
            if item["name"] in index:
                merged[index[item["name"]]] = merge(merged[index[item["name"]]], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def _set_images(obj, images):
    spec = obj.get("spec", {}).get("template", {}).get("spec", {})
    for container in spec.get("containers", []) + spec.get("initContainers", []):
        name, _, tag = container["image"].partition(":")
        for image in images:
            if image["name"] == name:
                container["image"] = "{}:{}".format(image.get("newName", name),
                                                    image.get("newTag", tag or "latest"))


def render(folder):
    """Every object of the kustomization in `folder`, in order."""
    with open(os.path.join(folder, "kustomization.yaml"), encoding="utf-8") as handle:
        kustomization = yaml.safe_load(handle)
    objects = []
    for resource in kustomization.get("resources", []):
        path = os.path.normpath(os.path.join(folder, resource))
        objects.extend(render(path) if os.path.isdir(path) else _documents(path))
    for patch in kustomization.get("patches", []):
        (change,) = _documents(os.path.join(folder, patch["path"]))
        targets = [i for i, obj in enumerate(objects)
                   if obj["kind"] == change["kind"]
                   and obj["metadata"]["name"] == change["metadata"]["name"]]
        assert len(targets) == 1, "patch {} matches {} objects".format(patch["path"], len(targets))
        objects[targets[0]] = merge(objects[targets[0]], change)
    for obj in objects:
        if kustomization.get("namespace") and obj["kind"] not in CLUSTER_SCOPED:
            obj["metadata"]["namespace"] = kustomization["namespace"]
        _set_images(obj, kustomization.get("images", []))
    return objects
