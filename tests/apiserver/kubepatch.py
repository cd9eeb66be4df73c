"""The three PATCH formats the API server accepts for built-in types:
JSON merge patch (RFC 7386), JSON patch (RFC 6902) and Kubernetes'
strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch).

Strategic merge needs the schema's patch strategies: which lists merge by a
key instead of being replaced.  They come from the `patchStrategy` /
`patchMergeKey` struct tags of k8s.io/api (core/v1/types.go,
coordination/v1/types.go); MERGE_KEYS lists those of the kinds this server
stores.  A list not in the table is atomic: the patch replaces it, which is
what the real server does for, e.g., status.containerStatuses (no tag).
"""
import copy
import json


class PatchError(Exception):
    """A patch that cannot be applied; the server answers 422 or 400."""


# kind -> { dotted path of a list (list items written as "[]") : merge key,
#           or None for a list of primitives merged as a set }
_CONTAINER = {
    "ports": "containerPort", "env": "name", "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
}
_META = {"metadata.ownerReferences": "uid", "metadata.finalizers": None}


def _containers(prefix):
    d = {prefix: "name"}
    for k, v in _CONTAINER.items():
        d[f"{prefix}[].{k}"] = v
    return d


MERGE_KEYS = {
    "Pod": {
        **_META,
        **_containers("spec.containers"),
        **_containers("spec.initContainers"),
        **_containers("spec.ephemeralContainers"),
        "spec.volumes": "name",
        "spec.imagePullSecrets": "name",
        "spec.hostAliases": "ip",
        "spec.resourceClaims": "name",
        "spec.schedulingGates": "name",
        "status.conditions": "type",
        "status.podIPs": "ip",
        "status.hostIPs": "ip",
        "status.resourceClaimStatuses": "name",
    },
    "Node": {
        **_META,
        "spec.podCIDRs": None,
        "status.conditions": "type",
        "status.addresses": "type",
    },
    "Lease": dict(_META),
    "Event": dict(_META),
    "Namespace": dict(_META),
}

# lists whose items keep only the keys the patch names ($retainKeys)
RETAIN_KEYS = {"Pod": {"spec.volumes"}}


# --- JSON merge patch (RFC 7386) ------------------------------------------

def merge_patch(target, patch):
    """A new object; the parts of TARGET the patch leaves alone are
    shared, not copied (the server never changes a stored object)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# --- JSON patch (RFC 6902) --------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~")
            for p in path[1:].split("/")]


def _walk(doc, parts):
    for p in parts:
        if isinstance(doc, dict) and p in doc:
            doc = doc[p]
        elif isinstance(doc, list) and p.isdigit() and int(p) < len(doc):
            doc = doc[int(p)]
        else:
            raise PatchError(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _json_add(doc, parts, value):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise PatchError(f"add operation index out of bounds: {last}")
    else:
        raise PatchError("add operation does not apply: doc is missing "
                         f"path: /{'/'.join(parts)}")
    return doc


def _json_remove(doc, parts):
    if not parts:
        raise PatchError("remove operation on the whole document")
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError("remove operation does not apply: doc is missing path: "
                     f"/{'/'.join(parts)}")


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise PatchError("a JSON patch is a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise PatchError("a JSON patch operation needs op and path")
        kind, parts = op["op"], _pointer(op["path"])
        if kind == "add":
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _json_remove(doc, parts)
        elif kind == "replace":
            _walk(doc, parts)
            if parts:
                _json_remove(doc, parts)
            doc = _json_add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = copy.deepcopy(_walk(doc, src))
            if kind == "move":
                _json_remove(doc, src)
            doc = _json_add(doc, parts, value)
        elif kind == "test":
            if _walk(doc, parts) != op.get("value"):
                raise PatchError(f"testing value {op['path']} failed")
        else:
            raise PatchError(f"Unexpected kind: {kind}")
    return doc


# --- strategic merge patch --------------------------------------------------

DIRECTIVE = "$patch"
ORDER = "$setElementOrder/"
DELETE_PRIM = "$deleteFromPrimitiveList/"
RETAIN = "$retainKeys"


def strategic_merge_patch(target, patch, kind):
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    schema = MERGE_KEYS.get(kind, {})
    retain = RETAIN_KEYS.get(kind, set())
    return _smp_map(copy.deepcopy(target) if isinstance(target, dict) else {},
                    patch, "", schema, retain)


def _smp_map(orig, patch, path, schema, retain):
    directive = patch.get(DIRECTIVE)
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items()
                if k != DIRECTIVE}
    if directive == "delete":
        return None
    if directive is not None:
        raise PatchError(f"Unknown patch type: {directive} in map: {patch}")
    if RETAIN in patch:
        keep = patch[RETAIN]
        if not isinstance(keep, list):
            raise PatchError("$retainKeys must be a list")
        orig = {k: v for k, v in orig.items() if k in keep}
    for k, v in patch.items():
        if k.startswith(DELETE_PRIM):
            field = k[len(DELETE_PRIM):]
            if isinstance(orig.get(field), list) and isinstance(v, list):
                orig[field] = [x for x in orig[field] if x not in v]
    for k, v in patch.items():
        if k in (RETAIN,) or k.startswith(DELETE_PRIM) or k.startswith(ORDER):
            continue
        sub = f"{path}.{k}" if path else k
        if v is None:
            orig.pop(k, None)
        elif isinstance(v, dict):
            cur = orig.get(k)
            merged = _smp_map(cur if isinstance(cur, dict) else {}, v, sub,
                              schema, retain)
            if merged is None:
                orig.pop(k, None)
            else:
                orig[k] = merged
        elif isinstance(v, list) and sub in schema:
            orig[k] = _smp_list(orig.get(k) or [], v, sub, schema, retain)
        else:
            orig[k] = copy.deepcopy(v)
    for k, v in patch.items():
        if k.startswith(ORDER):
            field = k[len(ORDER):]
            sub = f"{path}.{field}" if path else field
            if isinstance(orig.get(field), list) and sub in schema:
                orig[field] = _smp_order(orig[field], v, schema[sub])
    return orig


def _smp_list(orig, patch, path, schema, retain):
    key = schema[path]
    if key is None:
        # a set of primitives: union, keeping the original order
        out = list(orig)
        for v in patch:
            if isinstance(v, dict) and v.get(DIRECTIVE) == "replace":
                return [x for x in patch if not isinstance(x, dict)]
            if v not in out:
                out.append(v)
        return out
    out = [copy.deepcopy(x) for x in orig]
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError(f"{path}: list items must be objects")
        if item.get(DIRECTIVE) == "replace" and key not in item:
            return [copy.deepcopy(x) for x in patch
                    if x.get(DIRECTIVE) != "replace"]
        if key not in item:
            raise PatchError(f"map: {item} does not contain declared merge "
                             f"key: {key}")
        idx = next((i for i, x in enumerate(out)
                    if isinstance(x, dict) and x.get(key) == item[key]), None)
        if item.get(DIRECTIVE) == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append({k: copy.deepcopy(v) for k, v in item.items()
                        if k != DIRECTIVE})
        else:
            out[idx] = _smp_map(out[idx], item, path + "[]", schema, retain)
    return out


def _smp_order(items, order, key):
    # $setElementOrder: the patch's order first, then what it did not name
    def ident(x):
        return x.get(key) if key is not None and isinstance(x, dict) else x
    wanted = [ident(o) for o in order]
    named = [x for w in wanted for x in items if ident(x) == w]
    rest = [x for x in items if ident(x) not in wanted]
    return named + rest


def apply(content_type, target, body, kind):
    """Apply a PATCH body of CONTENT_TYPE; raises PatchError."""
    try:
        patch = json.loads(body)
    except ValueError as e:
        raise PatchError(f"error decoding patch: {e}") from None
    if content_type == "application/merge-patch+json":
        if not isinstance(patch, dict):
            raise PatchError("a merge patch must be a JSON object")
        return merge_patch(target, patch)
    if content_type == "application/json-patch+json":
        return json_patch(target, patch)
    if content_type == "application/strategic-merge-patch+json":
        return strategic_merge_patch(target, patch, kind)
    raise ValueError(content_type)
